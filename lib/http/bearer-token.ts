import { createHash, timingSafeEqual } from 'node:crypto';
import { SpoolError } from '../../core/index.js';

/** The request headers a bearer check reads and writes (a koa context has them). */
export interface BearerRequest {
  get(header: string): string;
  set(header: string, value: string): void;
}

/**
 * `Authorization: Bearer TOKEN` → the login paired with TOKEN in `items` (`LOGIN:TOKEN`), else 401
 * with `WWW-Authenticate: Bearer realm="REALM"`. Tokens are compared as SHA-256 digests in constant
 * time, so neither their content nor their length leaks. WHIP and WHEP share it (and their tokens).
 */
export function bearerLogins(
  items: readonly string[],
  realm: string,
  protocol: string,
): (request: BearerRequest) => string {
  const logins = items.map((item) => {
    const colon = item.indexOf(':');
    return { login: item.slice(0, colon), digest: digest(item.slice(colon + 1)) };
  });
  return (request) => {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(request.get('Authorization'));
    let login: string | undefined;
    if (match !== null) {
      const presented = digest(match[1]!);
      for (const known of logins) if (timingSafeEqual(known.digest, presented)) login ??= known.login;
    }
    if (login !== undefined) return login;
    request.set('WWW-Authenticate', `Bearer realm="${realm}"`);
    throw new SpoolError(
      'SPOOL_ERR_UNAUTHORIZED',
      match === null ? `${protocol} needs an Authorization: Bearer token` : 'the bearer token is not valid',
    );
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
