import type { JsonSchema } from './json-schema.js';
import type { HandlerStatus, RestRoute } from './rest-route.js';

export interface OpenApiOptions {
  readonly authEnabled: boolean;
  readonly maxBodyBytes: number;
}

interface Operation {
  operationId: string;
  summary: string;
  requestBody?: { required: true; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** What each status a route declares means, before the route's own words on when. */
const DECLARED_STATUS_TITLES: Record<HandlerStatus, string> = {
  403: 'Refused',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  502: 'Source unavailable',
};

/**
 * The OpenAPI 3.1 document of the REST methods, generated from the same route table the router
 * serves, with the status codes the router can answer for each one.
 */
export function openApiDocument(routes: readonly RestRoute[], options: OpenApiOptions) {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method] = operation(route, options);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Spool REST API',
      version: '1.0.0',
      description:
        'Streams and recording on demand, with the paths, bodies and status codes of the reference server. ' +
        'Every method takes a POST with a JSON body, except this document.',
    },
    servers: [{ url: '/rest-api' }],
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string', description: 'What went wrong, for a person' },
            code: { type: 'string', description: 'A stable SPOOL_ERR_… code, for a program' },
          },
        },
      },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
    security: options.authEnabled ? [{ bearerAuth: [] }] : [],
  };
}

/** The routes plus GET /openapi.json, which documents all of them, itself included. */
export function withOpenApiRoute(routes: readonly RestRoute[], options: OpenApiOptions): RestRoute[] {
  const all: RestRoute[] = [...routes];
  let document: OpenApiDocument | undefined;
  all.push({
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI document',
    reply: { type: 'object', description: 'OpenAPI 3.1' },
    infallible: true,
    handle: () => (document ??= openApiDocument(all, options)),
  });
  return all;
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** The status codes a route can answer, each with its description. */
export function routeStatuses(route: RestRoute, options: OpenApiOptions): Record<string, string> {
  const statuses: Record<string, string> = { '200': route.reply === undefined ? 'Done (empty body)' : 'OK' };
  if (route.body !== undefined) {
    statuses['400'] = 'The body is not JSON or does not match the schema, or the request cannot be served';
  }
  if (options.authEnabled) statuses['401'] = 'No valid Authorization: Bearer token (rest-api.auth.enabled)';
  if (route.body !== undefined) statuses['413'] = `The body is larger than ${options.maxBodyBytes} bytes`;
  if (route.infallible !== true) statuses['500'] = 'Internal error (the reason is logged)';
  // An object lists integer-like keys in ascending order, so the statuses come out sorted.
  const declared = { ...route.statuses };
  for (const [status, when] of Object.entries(declared) as Array<[`${HandlerStatus}`, string]>) {
    statuses[status] = `${DECLARED_STATUS_TITLES[status]}: ${when}`;
  }
  return statuses;
}

function operation(route: RestRoute, options: OpenApiOptions): Operation {
  const responses: Operation['responses'] = {};
  for (const [status, description] of Object.entries(routeStatuses(route, options))) {
    const schema = status === '200' ? route.reply : ERROR_REF;
    responses[status] =
      schema === undefined ? { description } : { description, content: { 'application/json': { schema } } };
  }
  return {
    operationId: route.path.replace(/^\//, '').replace(/[/._]+(\w)/g, (_, c: string) => c.toUpperCase()),
    summary: route.summary,
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }),
    responses,
  };
}
