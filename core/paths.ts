import { resolve } from 'node:path';

/** The package root: the folder holding package.json (this file runs from dist/core/). */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');

export const DEFAULT_PLUGINS_FILE = resolve(PACKAGE_ROOT, 'plugins.json');
export const DEFAULT_CONFIG_FILE = resolve(PACKAGE_ROOT, 'config', 'default.json');
/** Built-in plugins, compiled: dist/plugins/<name>/index.js. */
export const BUILTIN_PLUGINS_DIR = resolve(PACKAGE_ROOT, 'dist', 'plugins');
