import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isDotName } from './safe-name.js';

export interface ResolvedPath {
  /** The real path: every symlink followed. */
  readonly path: string;
  readonly stats: Stats;
}

/**
 * What the plain `names` (from safeName) lead to inside `baseDir`, or undefined when it is missing
 * or, once every symlink is followed, the base folder itself, outside it, or through a hidden name.
 * A symlink that stays inside is followed; one out of the base folder, or onto a hidden file (a
 * recording in progress), is refused like a missing file.
 */
export async function resolveInside(
  baseDir: string,
  names: readonly string[],
  isHidden: (name: string) => boolean = isDotName,
): Promise<ResolvedPath | undefined> {
  try {
    const base = await realpath(baseDir);
    const path = await realpath(resolve(base, ...names));
    const inside = relative(base, path);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
      return undefined;
    if (inside.split(sep).some(isHidden)) return undefined;
    return { path, stats: await stat(path) };
  } catch {
    return undefined;
  }
}
