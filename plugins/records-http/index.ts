import { open, realpath, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Context } from 'koa';
import { Router, SpoolError, definePlugin, type ConfigSchema } from '../../core/index.js';

export interface RecordsHttpConfig {
  recordDir: string;
  contentDisposition: 'inline' | 'attachment';
}

export const recordsHttpSchema: ConfigSchema<RecordsHttpConfig> = {
  recordDir: {
    doc: 'Directory whose finished recordings are served under /client/records/ (as the recorder)',
    format: String,
    default: './records',
    property: 'record_dir',
  },
  contentDisposition: {
    doc: 'Content-Disposition of served recordings: inline (play in the browser) or attachment (download)',
    format: ['inline', 'attachment'],
    default: 'inline',
    property: 'record_response_content_disposition_header_value',
  },
};

export const RECORDS_PREFIX = '/client/records/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.ts': 'video/mp2t',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Hidden files (recordings in progress, finalizing files) and journals are never served. */
function isPrivateName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.journal.json');
}

function hasPathSyntax(name: string): boolean {
  return name.includes('/') || name.includes('\\') || name.includes('\0') || name === '..';
}

/**
 * The file name of a request path segment (raw, percent-encoded), or undefined when it is not a plain
 * file name: traversal, separators (also encoded or double-encoded), NUL, absolute paths, hidden files
 * and journals are all refused.
 */
export function recordName(rawSegment: string): string | undefined {
  const name = safeDecode(rawSegment);
  if (name === undefined || name === '' || hasPathSyntax(name) || isAbsolute(name)) return undefined;
  // A second decoding must not reveal path syntax either (double-encoded %252F, %255C, %2500...).
  const twice = safeDecode(name);
  if (twice !== undefined && twice !== name && (hasPathSyntax(twice) || isAbsolute(twice))) return undefined;
  if (isPrivateName(name)) return undefined;
  return name;
}

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

function notFound(): SpoolError {
  return new SpoolError('SPOOL_ERR_NOT_FOUND', 'no such record');
}

/** The real path of `name` in the record dir, or undefined when missing or resolving outside it. */
async function resolveRecord(rootDir: string, name: string): Promise<string | undefined> {
  let root: string;
  let target: string;
  try {
    root = await realpath(rootDir);
    target = await realpath(resolve(rootDir, name));
  } catch {
    return undefined;
  }
  const inside = relative(root, target);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
  // A symlink inside the record dir must not reveal a hidden file or a journal either.
  if (inside.split(sep).some(isPrivateName)) return undefined;
  return target;
}

async function serveRecord(ctx: Context, config: RecordsHttpConfig): Promise<void> {
  const raw = ctx.path.slice(RECORDS_PREFIX.length);
  const name = recordName(raw);
  if (name === undefined) throw notFound();
  const path = await resolveRecord(config.recordDir, name);
  if (path === undefined) throw notFound();

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
    ctx.set('Content-Disposition', contentDisposition(config.contentDisposition, name));
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

/**
 * Serves finished recordings over HTTP: GET and HEAD /client/records/FILE from record_dir, with single
 * byte ranges, ETag / Last-Modified revalidation and a configurable Content-Disposition. Only plain
 * file names directly in record_dir are served: no traversal, no symlink out, no recording in progress.
 */
export default definePlugin<RecordsHttpConfig>({
  name: 'records-http',
  description: 'Serves finished recordings under /client/records/ (ranges, ETag, Content-Disposition)',
  config: recordsHttpSchema,
  register(ctx) {
    const config = { ...ctx.config, recordDir: resolve(ctx.config.recordDir) };
    ctx.hooks.routes.tap(({ mount }) => {
      const router = new Router();
      router.get('/client/records/:file', (koa) => serveRecord(koa, config));
      mount(router);
    });
  },
});
