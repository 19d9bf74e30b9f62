#!/usr/bin/env node
// Build step after tsc: writes dist/plugins/manifest.json, the reference (flashphoner.properties)
// keys each built-in plugin declares, so the kernel can name the plugin of a key whose plugin is
// disabled without loading that plugin's code. Each plugin stays the one place its keys are declared.
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const pluginsDir = join(root, 'dist', 'plugins');
const { referenceKeysOf, MANIFEST_FILE } = await import(
  pathToFileURL(join(root, 'dist', 'core', 'plugins', 'manifest.js')).href
);
const referenceKeys = {};
for (const name of readdirSync(pluginsDir).sort()) {
  const index = join(pluginsDir, name, 'index.js');
  if (!existsSync(index)) continue;
  const { default: definition } = await import(pathToFileURL(index).href);
  for (const [key, ref] of Object.entries(referenceKeysOf(definition))) {
    if (
      referenceKeys[key] !== undefined &&
      referenceKeys[key].plugin !== ref.plugin &&
      ref.noEffect === undefined
    ) {
      // Two plugins may map the same key (records-http reads record_dir like the recorder): the first keeps it.
      continue;
    }
    referenceKeys[key] ??= ref;
  }
}
writeFileSync(join(pluginsDir, MANIFEST_FILE), JSON.stringify({ referenceKeys }, null, 2) + '\n');
console.log(`plugin-manifest: ${Object.keys(referenceKeys).length} reference keys of built-in plugins`);
