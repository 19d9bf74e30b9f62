import type { RouterMiddleware } from '@koa/router';
import { Router, SpoolError } from '../../core/index.js';
import { bearerAuth } from './auth.js';
import { BODY_TOO_LARGE_STATUS, readJsonBody } from './body.js';
import { schemaCheck } from './json-schema.js';
import type { OpenApiOptions } from './openapi.js';
import type { RestRoute } from './rest-route.js';

export const REST_PREFIX = '/rest-api';

export interface RestRouterOptions extends OpenApiOptions {
  /** Accepted bearer tokens; used when authEnabled. */
  readonly tokens: readonly string[];
}

export function restRouter(routes: readonly RestRoute[], options: RestRouterOptions): Router {
  const router = new Router({ prefix: REST_PREFIX });
  // A route matching every path, so auth also guards unknown methods and routes mounted later.
  if (options.authEnabled) router.all('{/*rest}', bearerAuth(options.tokens));
  for (const route of routes) {
    // Compiled here, so a schema ajv refuses stops start-up instead of failing the first request.
    const bodyErrors = route.body === undefined ? undefined : schemaCheck(route.body);
    router[route.method](route.path, async (ctx) => {
      let body: unknown;
      if (bodyErrors !== undefined) {
        body = await readJsonBody(ctx.req, options.maxBodyBytes).catch((error: unknown) => {
          if (error instanceof SpoolError && error.status === BODY_TOO_LARGE_STATUS)
            ctx.set('Connection', 'close');
          throw error;
        });
        if (body === undefined) throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'a JSON body is required');
        const errors = bodyErrors(body);
        if (errors.length > 0) throw new SpoolError('SPOOL_ERR_BAD_REQUEST', errors.join('; '));
      }
      const reply = await route.handle(body);
      ctx.status = 200;
      if (reply !== undefined) ctx.body = reply;
      else {
        // As the reference: 200 with an empty body (koa would turn a null body into 204).
        ctx.body = '';
        ctx.remove('Content-Type');
      }
    });
  }
  // Registered last: runs only when no method of the path matched (405, and OPTIONS).
  for (const [path, methods] of methodsByPath(routes)) router.all(path, otherMethods(methods));
  return router;
}

function methodsByPath(routes: readonly RestRoute[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const { path, method } of routes) {
    const methods = byPath.get(path) ?? [];
    methods.push(...(method === 'get' ? ['GET', 'HEAD'] : ['POST']));
    byPath.set(path, methods);
  }
  return byPath;
}

function otherMethods(methods: readonly string[]): RouterMiddleware {
  const allow = [...methods, 'OPTIONS'].join(', ');
  return (ctx) => {
    ctx.set('Allow', allow);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new SpoolError(
      'SPOOL_ERR_METHOD_NOT_ALLOWED',
      `${ctx.method} is not allowed here (allowed: ${allow})`,
    );
  };
}
