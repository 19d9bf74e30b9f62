import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { StreamBus } from './bus/bus.js';
import type { ConfigSchema, KernelConfig } from './config/schema.js';
import type { PluginHooks } from './hooks.js';
import type { KernelMetrics } from './metrics.js';
import type { Token } from './tokens.js';

/** What a plugin receives in register, start and stop. */
export interface PluginContext<C = Record<string, never>> {
  readonly name: string;
  /** This plugin's config section, validated against its schema. */
  readonly config: Readonly<C>;
  readonly kernelConfig: Readonly<KernelConfig>;
  /** Logger whose lines carry `plugin: <name>`. */
  readonly log: Logger;
  /** The hook catalogue; every tap is named after this plugin and guarded. */
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
  /** Synchronous: bind services, tap hooks. No I/O. */
  register(ctx: PluginContext<C>): void;
  /** Listen, open, recover. Bounded by plugins.startTimeoutMs. */
  start?(ctx: PluginContext<C>): void | Promise<void>;
  /** Close everything this plugin opened; called in reverse start order. */
  stop?(ctx: PluginContext<C>): void | Promise<void>;
}

/** Identity function that gives a plugin definition its types. */
export function definePlugin<C = Record<string, never>>(
  definition: PluginDefinition<C>,
): PluginDefinition<C> {
  return definition;
}
