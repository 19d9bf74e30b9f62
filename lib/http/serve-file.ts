import { open, type FileHandle } from 'node:fs/promises';
import etag from 'etag';
import type { Context } from 'koa';
import { parseRange } from './byte-range.js';
import { isNotModified, isRangeStillValid } from './conditional.js';
import { contentDisposition } from './content-disposition.js';

export interface ServeFileOptions {
  /** Content-Type of the answer (each caller has its own table of what it serves). */
  readonly type: string;
  /** Content-Disposition with the name the client should show; none when absent. */
  readonly disposition?: { readonly kind: 'inline' | 'attachment'; readonly name: string };
}

/**
 * Answers GET or HEAD with the file at `path`, which the caller has already checked it may serve
 * (resolveInside): single byte ranges (206; 416 with the size in Content-Range; several ranges
 * served whole), ETag / Last-Modified revalidation (304), `Cache-Control: no-cache`.
 * Resolves false, answering nothing, when `path` is not a regular file it can open, so the caller
 * raises its own not-found error.
 *
 * Hand-written rather than send or @koa/send: send's ETag is weak (`W/"…"`) and it writes to the raw
 * response outside koa; @koa/send has no ranges at all.
 */
export async function serveFile(ctx: Context, path: string, options: ServeFileOptions): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  let streaming = false;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return false;
    // A strong tag: a Range with If-Range needs one, and size-mtime changes with every rewrite.
    const tag = etag(stats, { weak: false });
    const lastModified = stats.mtime.toUTCString();
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('ETag', tag);
    ctx.set('Last-Modified', lastModified);
    ctx.set('Cache-Control', 'no-cache');

    if (isNotModified(ctx, tag, lastModified)) {
      ctx.status = 304;
      return true;
    }

    const size = stats.size;
    const range = isRangeStillValid(ctx, tag, stats.mtime)
      ? parseRange(ctx.get('Range') || undefined, size)
      : undefined;
    if (range === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${size}`);
      ctx.throw(416, 'range not satisfiable');
    }

    ctx.type = options.type;
    if (options.disposition !== undefined) {
      const { kind, name } = options.disposition;
      ctx.set('Content-Disposition', contentDisposition(kind, name));
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (range !== undefined) {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    } else {
      ctx.status = 200;
    }
    const length = size === 0 ? 0 : end - start + 1;
    if (ctx.method === 'HEAD' || length === 0) {
      ctx.length = length;
      if (ctx.method !== 'HEAD') ctx.body = '';
      return true;
    }
    ctx.body = handle.createReadStream({ start, end, autoClose: true });
    streaming = true;
    ctx.length = length;
    return true;
  } finally {
    if (!streaming) await handle.close();
  }
}
