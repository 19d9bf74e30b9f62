import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferenceKey } from '../config/load.js';
import { isSetting } from '../config/schema.js';
import type { PluginDefinition } from '../plugin.js';

/** Written by the build (scripts/plugin-manifest.mjs) beside the compiled built-in plugins. */
export const MANIFEST_FILE = 'manifest.json';

export interface PluginsManifest {
  /** Reference key → the built-in plugin that declares it. */
  readonly referenceKeys: Readonly<Record<string, ReferenceKey>>;
}

/**
 * The reference (flashphoner.properties) keys a plugin declares: those its schema maps (`property`)
 * and those it accepts with no effect (`propertiesWithoutEffect`).
 */
export function referenceKeysOf(definition: PluginDefinition<never>): Record<string, ReferenceKey> {
  const keys: Record<string, ReferenceKey> = {};
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (isSetting(node)) {
      const property = (node as { property?: string | readonly string[] }).property;
      for (const key of property === undefined ? [] : [property].flat())
        keys[key] = { plugin: definition.name };
      return;
    }
    for (const child of Object.values(node)) walk(child);
  };
  walk(definition.config);
  for (const [key, noEffect] of Object.entries(definition.propertiesWithoutEffect ?? {})) {
    keys[key] = { plugin: definition.name, noEffect };
  }
  return keys;
}

/**
 * The built-in plugins' reference keys, so a key of a disabled built-in plugin gets a notice naming
 * that plugin without loading its code. Absent (a build without the manifest): no such notices.
 */
export function readBuiltinManifest(builtinDir: string): PluginsManifest {
  const path = join(builtinDir, MANIFEST_FILE);
  if (!existsSync(path)) return { referenceKeys: {} };
  return JSON.parse(readFileSync(path, 'utf8')) as PluginsManifest;
}
