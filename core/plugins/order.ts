import { SpoolError } from '../errors.js';
import type { PluginEntry } from './plugins-file.js';

interface Node {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly optionalDependsOn?: readonly string[];
}

/**
 * Checks every dependency and returns the plugins in start order: dependencies (and optional
 * dependencies that are enabled) first, and otherwise the order of plugins.json. Errors name the
 * plugin and what is wrong; a missing or disabled optional dependency is not one.
 */
export function orderPlugins<T extends Node>(plugins: readonly T[], entries: readonly PluginEntry[]): T[] {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  for (const plugin of plugins) {
    for (const dependency of plugin.dependsOn) {
      if (byName.has(dependency)) continue;
      const entry = entries.find((e) => e.name === dependency);
      if (entry === undefined) {
        throw new SpoolError(
          'SPOOL_ERR_PLUGIN_MISSING_DEPENDENCY',
          `plugin "${plugin.name}" depends on "${dependency}", which is not in plugins.json`,
        );
      }
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_DISABLED_DEPENDENCY',
        `plugin "${plugin.name}" depends on "${dependency}", which is disabled in plugins.json`,
      );
    }
  }

  const ordered: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: T, path: readonly string[]): void => {
    const current = state.get(plugin.name);
    if (current === 'done') return;
    if (current === 'visiting') {
      const cycle = [...path.slice(path.indexOf(plugin.name)), plugin.name];
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_DEPENDENCY_CYCLE',
        `plugin "${plugin.name}" is part of a dependency cycle: ${cycle.join(' -> ')}`,
      );
    }
    state.set(plugin.name, 'visiting');
    for (const dependency of plugin.dependsOn) visit(byName.get(dependency)!, [...path, plugin.name]);
    for (const dependency of plugin.optionalDependsOn ?? []) {
      const enabled = byName.get(dependency);
      if (enabled !== undefined) visit(enabled, [...path, plugin.name]);
    }
    state.set(plugin.name, 'done');
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  return ordered;
}
