import { extname } from 'node:path';
import type { Context } from 'koa';
import { SpoolError } from '../../core/index.js';
import { resolveInside } from '../../lib/http/resolve-inside.js';
import { safeName } from '../../lib/http/safe-name.js';
import { serveFile } from '../../lib/http/serve-file.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.ts': 'video/mp2t',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Hidden files (recordings in progress, finalizing files, cuts being written) and journals are
 * never served.
 */
export function isPrivateName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.journal.json');
}

/**
 * The file name of a request path segment (raw, percent-encoded), or undefined when it is not a plain
 * file name: traversal, separators (also encoded or double-encoded), NUL, absolute paths, hidden files
 * and journals are all refused.
 */
export function recordName(rawSegment: string): string | undefined {
  return safeName(rawSegment, isPrivateName);
}

/**
 * The real path of `name` in `rootDir`, or undefined when missing or resolving outside it. A symlink
 * inside the record dir must not reveal a hidden file or a journal either.
 */
export async function resolveRecord(rootDir: string, name: string): Promise<string | undefined> {
  return (await resolveInside(rootDir, [name], isPrivateName))?.path;
}

export function notFound(): SpoolError {
  return new SpoolError('SPOOL_ERR_NOT_FOUND', 'no such record');
}

/**
 * Answers GET or HEAD with the recording at `path` (already checked to be one), presented as `name`:
 * its Content-Type from the name's extension, Content-Disposition `disposition` with that name.
 */
export async function serveRecordFile(
  ctx: Context,
  path: string,
  name: string,
  disposition: 'inline' | 'attachment',
): Promise<void> {
  const served = await serveFile(ctx, path, {
    type: contentTypeOf(name),
    disposition: { kind: disposition, name },
  });
  if (!served) throw notFound();
}
