import { createHash, timingSafeEqual } from 'node:crypto';
import type { RouterMiddleware } from '@koa/router';
import { SpoolError } from '../../core/index.js';

/**
 * `Authorization: Bearer TOKEN` with one of the configured tokens, else 401. Tokens are compared
 * as SHA-256 digests in constant time, so neither their content nor their length leaks.
 */
export function bearerAuth(tokens: readonly string[]): RouterMiddleware {
  const digests = tokens.map(digest);
  return async (ctx, next) => {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(ctx.get('Authorization'));
    if (match === null) throw unauthorized(ctx, 'this method needs an Authorization: Bearer token');
    const presented = digest(match[1]!);
    if (!digests.some((known) => timingSafeEqual(known, presented))) {
      throw unauthorized(ctx, 'the bearer token is not valid');
    }
    await next();
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function unauthorized(ctx: { set(field: string, value: string): void }, message: string): SpoolError {
  ctx.set('WWW-Authenticate', 'Bearer realm="rest-api"');
  return new SpoolError('SPOOL_ERR_UNAUTHORIZED', message);
}
