import { realpath } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

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

/**
 * Hidden files (recordings in progress, finalizing files, cuts being written) and journals are
 * never served.
 */
export function isPrivateName(name: string): boolean {
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

/** The real path of `name` in `rootDir`, or undefined when missing or resolving outside it. */
export async function resolveRecord(rootDir: string, name: string): Promise<string | undefined> {
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
