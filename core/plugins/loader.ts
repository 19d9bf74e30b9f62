import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpoolError, errorMessage } from '../errors.js';
import type { PluginDefinition } from '../plugin.js';
import type { PluginEntry } from './plugins-file.js';

export interface LoadedPlugin {
  readonly entry: PluginEntry;
  readonly definition: PluginDefinition<Record<string, unknown>>;
  /** Where the module was loaded from, for `spool plugins`. */
  readonly location: string;
}

/** Where a plugin's module is: built-ins by name, third-party ones by path or package name. */
export function locatePlugin(entry: PluginEntry, pluginsFile: string, builtinDir: string): string {
  if (entry.module === undefined) return join(builtinDir, entry.name, 'index.js');
  if (entry.module.startsWith('.') || isAbsolute(entry.module)) {
    return resolve(dirname(pluginsFile), entry.module);
  }
  try {
    return createRequire(resolve(dirname(pluginsFile), 'plugins.json')).resolve(entry.module);
  } catch {
    return entry.module; // left to import(), which resolves from Spool's own node_modules
  }
}

export async function loadPlugin(
  entry: PluginEntry,
  pluginsFile: string,
  builtinDir: string,
): Promise<LoadedPlugin> {
  const location = locatePlugin(entry, pluginsFile, builtinDir);
  if (entry.module === undefined && !existsSync(location)) {
    throw new SpoolError(
      'SPOOL_ERR_PLUGIN_NOT_FOUND',
      `plugin "${entry.name}": no built-in plugin of that name (looked for ${location}); set "module" for a third-party plugin`,
    );
  }
  let exports: Record<string, unknown>;
  try {
    const specifier = isAbsolute(location) ? pathToFileURL(location).href : location;
    exports = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new SpoolError(
      'SPOOL_ERR_PLUGIN_NOT_FOUND',
      `plugin "${entry.name}": cannot load ${location}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const definition = (exports.default ?? exports.plugin) as
    PluginDefinition<Record<string, unknown>> | undefined;
  if (typeof definition !== 'object' || definition === null || typeof definition.plugin !== 'function') {
    throw new SpoolError(
      'SPOOL_ERR_PLUGIN_INVALID',
      `plugin "${entry.name}": ${location} must export a plugin definition (default export or "plugin") whose "plugin" is its class`,
    );
  }
  if (definition.name !== entry.name) {
    throw new SpoolError(
      'SPOOL_ERR_PLUGIN_INVALID',
      `plugin "${entry.name}": ${location} defines a plugin named "${definition.name}"; names in plugins.json and the definition must match`,
    );
  }
  return { entry, definition, location };
}
