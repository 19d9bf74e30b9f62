import { readFileSync } from 'node:fs';
import { SpoolError, errorMessage } from '../errors.js';

export interface PluginEntry {
  readonly name: string;
  readonly enabled: boolean;
  /** Third-party plugins: a path relative to plugins.json, or an npm package name. */
  readonly module?: string;
  /** Overrides plugins.startTimeoutMs for this plugin. */
  readonly startTimeoutMs?: number;
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ENTRY_KEYS = new Set(['name', 'enabled', 'module', 'startTimeoutMs', '$comment']);

/**
 * Reads plugins.json: `{ "plugins": [ { "name": "ingest-rtmp", "enabled": true }, … ] }`.
 * Order matters: it is the start order among plugins that do not depend on each other.
 */
export function readPluginsFile(file: string): PluginEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `cannot read ${file}: ${errorMessage(error)}`);
  }
  const list = (data as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(list)) {
    throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `${file}: expected { "plugins": [ … ] }`);
  }
  const seen = new Set<string>();
  return list.map((raw: unknown, index) => {
    const where = `${file}: plugins[${index}]`;
    if (typeof raw !== 'object' || raw === null) {
      throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `${where} must be an object`);
    }
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!ENTRY_KEYS.has(key)) {
        throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `${where}: unknown field "${key}"`);
      }
    }
    const { name, enabled, module, startTimeoutMs } = entry;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new SpoolError(
        'SPOOL_ERR_PLUGINS_FILE',
        `${where}: "name" must be lower-case words joined by "-", got ${JSON.stringify(name)}`,
      );
    }
    if (typeof enabled !== 'boolean') {
      throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `${where} (${name}): "enabled" must be true or false`);
    }
    if (module !== undefined && (typeof module !== 'string' || module === '')) {
      throw new SpoolError('SPOOL_ERR_PLUGINS_FILE', `${where} (${name}): "module" must be a string`);
    }
    if (
      startTimeoutMs !== undefined &&
      (!Number.isInteger(startTimeoutMs) || (startTimeoutMs as number) <= 0)
    ) {
      throw new SpoolError(
        'SPOOL_ERR_PLUGINS_FILE',
        `${where} (${name}): "startTimeoutMs" must be a positive integer`,
      );
    }
    if (seen.has(name)) {
      throw new SpoolError('SPOOL_ERR_PLUGIN_DUPLICATE', `${file}: plugin "${name}" is listed twice`);
    }
    seen.add(name);
    return {
      name,
      enabled,
      ...(module === undefined ? {} : { module: module as string }),
      ...(startTimeoutMs === undefined ? {} : { startTimeoutMs: startTimeoutMs as number }),
    };
  });
}
