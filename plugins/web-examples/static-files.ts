import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

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

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function isPlainName(name: string): boolean {
  return !(name === '' || name.startsWith('.') || /[/\\\0]/.test(name) || isAbsolute(name));
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
    const name = safeDecode(part);
    if (name === undefined || !isPlainName(name)) return undefined;
    const twice = safeDecode(name);
    if (twice !== undefined && twice !== name && !isPlainName(twice)) return undefined;
    segments.push(name);
  }
  return segments;
}

export type StaticTarget = { kind: 'file'; path: string } | { kind: 'directory' };

/** What `segments` name inside `rootDir` (symlinks out of it refused), or undefined. */
export async function resolveStatic(
  rootDir: string,
  segments: readonly string[],
): Promise<StaticTarget | undefined> {
  try {
    const root = await realpath(rootDir);
    const target = await realpath(resolve(root, ...segments));
    const inside = relative(root, target);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
    if (inside.split(sep).some((part) => part.startsWith('.'))) return undefined;
    const stats = await stat(target);
    if (stats.isDirectory()) return { kind: 'directory' };
    return stats.isFile() ? { kind: 'file', path: target } : undefined;
  } catch {
    return undefined;
  }
}
