import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Context } from 'koa';
import { SpoolError } from '../../core/index.js';
import { contentTypeOf } from './record-files.js';

export type ByteRange = { start: number; end: number };

/**
 * A single `bytes=` range against a file of `size` bytes: the range (end inclusive), 'unsatisfiable',
 * or undefined to serve the whole file (no header, a syntax it ignores, or several ranges).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isFinite(end)) return undefined;
  if (last !== '' && end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** `inline;filename="NAME"`, with an RFC 5987 `filename*` when the name is not plain ASCII. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `${kind};filename="${name}"`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind};filename="${fallback}";filename*=UTF-8''${encoded}`;
}

function etagOf(stats: Stats): string {
  return `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

function opaque(tag: string): string {
  return tag.trim().replace(/^W\//, '');
}

/** RFC 9110 13.1.1-2: If-None-Match (weak comparison) wins over If-Modified-Since. */
function notModified(ctx: Context, etag: string, mtime: Date): boolean {
  const ifNoneMatch = ctx.get('If-None-Match');
  if (ifNoneMatch !== '') {
    if (ifNoneMatch.trim() === '*') return true;
    return ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
  }
  const ifModifiedSince = ctx.get('If-Modified-Since');
  if (ifModifiedSince !== '') {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since)) return Math.floor(mtime.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

/** If-Range: the range applies only when the validator still matches (strong ETag or exact date). */
function rangeStillValid(ctx: Context, etag: string, mtime: Date): boolean {
  const ifRange = ctx.get('If-Range').trim();
  if (ifRange === '') return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && Math.floor(mtime.getTime() / 1000) * 1000 === date;
}

export function notFound(): SpoolError {
  return new SpoolError('SPOOL_ERR_NOT_FOUND', 'no such record');
}

/**
 * Answers GET or HEAD with the file at `path` (already checked to be a record), presented as `name`:
 * single byte ranges, ETag / Last-Modified revalidation, Content-Type from the name's extension.
 */
export async function serveFile(
  ctx: Context,
  path: string,
  name: string,
  disposition: 'inline' | 'attachment',
): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
  } catch {
    throw notFound();
  }
  let streaming = false;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notFound();
    const etag = etagOf(stats);
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('ETag', etag);
    ctx.set('Last-Modified', stats.mtime.toUTCString());
    ctx.set('Cache-Control', 'no-cache');

    if (notModified(ctx, etag, stats.mtime)) {
      ctx.status = 304;
      return;
    }

    const size = stats.size;
    const range = rangeStillValid(ctx, etag, stats.mtime)
      ? parseRange(ctx.get('Range') || undefined, size)
      : undefined;
    if (range === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${size}`);
      throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'range not satisfiable', { status: 416 });
    }

    ctx.type = contentTypeOf(name);
    ctx.set('Content-Disposition', contentDisposition(disposition, name));
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
      return;
    }
    ctx.body = handle.createReadStream({ start, end, autoClose: true });
    streaming = true;
    ctx.length = length;
  } finally {
    if (!streaming) await handle.close();
  }
}
