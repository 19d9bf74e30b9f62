import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { StreamBus } from './bus/bus.js';
import type { ConfigSchema, KernelConfig } from './config/schema.js';
import type { HookCatalogue, HookKinds, HookTable, HooksOf } from './hook-catalogue.js';
import type { PluginHooks } from './hooks.js';
import type { KernelMetrics } from './metrics.js';
import { createToken, type Token } from './tokens.js';

/** What a plugin's instance receives (inject `PluginContextToken` in its constructor). */
export interface PluginContext<C = Record<string, never>> {
  readonly name: string;
  /** This plugin's config section, validated against its schema. */
  readonly config: Readonly<C>;
  readonly kernelConfig: Readonly<KernelConfig>;
  /** Logger whose lines carry `plugin: <name>`. */
  readonly log: Logger;
  /** The kernel's hooks; every tap is named after this plugin and guarded. */
  readonly hooks: PluginHooks;
  readonly bus: StreamBus;
  readonly metrics: KernelMetrics;
  /** This plugin's own child container. */
  readonly container: DependencyContainer;
  /** Absolute path of this plugin's working directory under dataDir (not created). */
  readonly dataDir: string;
  /** Export a service to plugins that depend on this one. */
  provide<T>(token: Token<T>, value: T): void;
  provideFactory<T>(token: Token<T>, factory: (container: DependencyContainer) => T): void;
  /**
   * A guarded catalogue of this plugin's own hooks (declare the table and its kinds in api.ts).
   * Taps that throw are logged and reported on `pluginError` like the kernel's.
   */
  defineHooks<S extends HookTable>(kinds: HookKinds<S>): HookCatalogue<S>;
  /**
   * Exports a catalogue's tap side: each plugin that uses `token` gets a facade whose taps carry
   * that plugin's own name, so no plugin can tap under another's name.
   */
  provideHooks<S extends HookTable>(token: Token<HooksOf<S>>, catalogue: HookCatalogue<S>): void;
  /** Use a kernel service or one exported by a plugin listed in dependsOn or optionalDependsOn. */
  use<T>(token: Token<T>): T;
  /**
   * Like `use`, but undefined when no enabled plugin provides the token: for services of an
   * optional dependency. A provider listed in neither dependsOn nor optionalDependsOn is still an error.
   */
  tryUse<T>(token: Token<T>): T | undefined;
  /** Report an error from background work (a subscriber loop, a timer): logged, counted, emitted. */
  reportError(where: string, error: unknown): void;
}

/**
 * A plugin's one instance: all of its state lives here. The host resolves it from the plugin's child
 * container (constructor parameters injected by token, see `PluginContextToken`), calls `register`
 * once in dependency order, `start` in order, and `stop` in reverse order.
 */
export interface SpoolPlugin {
  /** Synchronous: provide services, tap hooks. No I/O. */
  register?(): void;
  /** Listen, open, recover. Bounded by plugins.startTimeoutMs. */
  start?(): void | Promise<void>;
  /** Close everything this plugin opened. Bounded by plugins.stopTimeoutMs. */
  stop?(): void | Promise<void>;
}

/**
 * A plugin class: decorated with `@injectable()`, its constructor parameters with
 * `@injectToken(PluginContextToken)`, `@injectToken(BusToken)` or a token from another plugin's api.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are injected
export type PluginClass = new (...args: any[]) => SpoolPlugin;

export interface PluginDefinition<C = Record<string, never>> {
  /** Must equal the plugin's name in plugins.json, its folder and its config section. */
  readonly name: string;
  readonly description?: string;
  /** Plugins that must be enabled and are started before this one. */
  readonly dependsOn?: readonly string[];
  /**
   * Plugins used when they are enabled: such a plugin starts before this one and its tokens may be
   * used (see `tryUse`); when it is disabled or not in plugins.json, nothing fails.
   */
  readonly optionalDependsOn?: readonly string[];
  /** Schema of the config section named after the plugin. */
  readonly config?: ConfigSchema<C>;
  /**
   * Reference (flashphoner.properties) keys this plugin accepts that have no effect in Spool, each
   * with the reason an operator is told. Keys it implements are mapped by its schema's `property`.
   */
  readonly propertiesWithoutEffect?: Readonly<Record<string, string>>;
  /** The plugin's class; one instance per Spool. */
  readonly plugin: PluginClass;
}

/** The context of the plugin being resolved; inject it in a plugin class's constructor. */
export const PluginContextToken = createToken<PluginContext<never>>('plugin.context');

/** Identity function that gives a plugin definition its types. */
export function definePlugin<C = Record<string, never>>(
  definition: PluginDefinition<C>,
): PluginDefinition<C> {
  return definition;
}
