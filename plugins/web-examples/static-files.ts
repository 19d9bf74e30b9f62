import { extname } from 'node:path';
import { resolveInside } from '../../lib/http/resolve-inside.js';
import { safeName } from '../../lib/http/safe-name.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The Content-Type of a static file, or undefined for a kind of file that is not served. */
export function contentTypeOf(name: string): string | undefined {
  return CONTENT_TYPES[extname(name).toLowerCase()];
}

/**
 * The path segments of a request path below the examples' prefix (raw, percent-encoded), or
 * undefined when one is not a plain name: empty (`//`), dot-files and `..`, separators (also
 * encoded or double-encoded), NUL. A trailing slash yields `index.html`.
 */
export function staticSegments(rawPath: string): string[] | undefined {
  const raw = rawPath.split('/');
  if (raw.at(-1) === '') raw[raw.length - 1] = 'index.html';
  const segments: string[] = [];
  for (const part of raw) {
    const name = safeName(part);
    if (name === undefined) return undefined;
    segments.push(name);
  }
  return segments;
}

export type StaticTarget = { kind: 'file'; path: string } | { kind: 'directory' };

/** What `segments` name inside `rootDir` (symlinks out of it and dot-files refused), or undefined. */
export async function resolveStatic(
  rootDir: string,
  segments: readonly string[],
): Promise<StaticTarget | undefined> {
  const target = await resolveInside(rootDir, segments);
  if (target === undefined) return undefined;
  if (target.stats.isDirectory()) return { kind: 'directory' };
  return target.stats.isFile() ? { kind: 'file', path: target.path } : undefined;
}
