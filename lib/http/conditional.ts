import fresh from 'fresh';
import type { Context } from 'koa';

/**
 * Whether a GET or HEAD may be answered 304, by fresh (koa's): If-None-Match with the weak
 * comparison, else If-Modified-Since. fresh is given only the one condition that counts:
 * - fresh 0.5.2 wants If-Modified-Since to match as well when both are sent; RFC 9110 §13.1.3 says it
 *   is ignored when If-None-Match is present.
 * - fresh answers "modified" to any request with `Cache-Control: no-cache`, and fetch() adds that
 *   header to every request carrying a conditional header (Fetch standard, HTTP-network-or-cache
 *   fetch): a script revalidating with fetch would never get its 304. RFC 9110 §13.2.2 has no such
 *   exception for an origin server.
 */
export function isNotModified(ctx: Context, etag: string, lastModified: string): boolean {
  const ifNoneMatch = ctx.get('If-None-Match');
  const condition =
    ifNoneMatch !== ''
      ? { 'if-none-match': ifNoneMatch }
      : { 'if-modified-since': ctx.get('If-Modified-Since') };
  return fresh(condition, { etag, 'last-modified': lastModified });
}

/**
 * If-Range: a Range applies only while the validator still matches, a strong ETag exactly or the
 * exact Last-Modified date. Hand-written: neither fresh nor range-parser evaluates If-Range, and
 * send has it only as a private function.
 */
export function isRangeStillValid(ctx: Context, etag: string, mtime: Date): boolean {
  const ifRange = ctx.get('If-Range').trim();
  if (ifRange === '') return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && Math.floor(mtime.getTime() / 1000) * 1000 === date;
}
