import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { StreamBus } from '../bus/bus.js';
import type { KernelConfig } from '../config/schema.js';
import { SpoolError, errorMessage } from '../errors.js';
import type { HookKinds, HookTable } from '../hook-catalogue.js';
import type { Hooks } from '../hooks.js';
import { pluginLogger } from '../log.js';
import type { KernelMetrics } from '../metrics.js';
import { PluginContextToken, type PluginContext, type SpoolPlugin } from '../plugin.js';
import type { ServiceRegistry } from '../services.js';
import type { LoadedPlugin } from './loader.js';

export type PluginState = 'registered' | 'starting' | 'started' | 'failed' | 'stopping' | 'stopped';

interface RunningPlugin {
  readonly loaded: LoadedPlugin;
  readonly ctx: PluginContext<Record<string, unknown>>;
  readonly instance: SpoolPlugin;
  state: PluginState;
}

export interface PluginHostDeps {
  readonly rootLog: Logger;
  readonly hooks: Hooks;
  readonly bus: StreamBus;
  readonly metrics: KernelMetrics;
  readonly services: ServiceRegistry;
  readonly kernelConfig: KernelConfig;
  readonly pluginConfig: (name: string) => Record<string, unknown>;
}

/** Runs the plugin lifecycle: register in order → start in order → stop in reverse. */
export class PluginHost {
  private readonly plugins: RunningPlugin[] = [];

  constructor(private readonly deps: PluginHostDeps) {}

  get states(): ReadonlyArray<{ name: string; state: PluginState }> {
    return this.plugins.map((p) => ({ name: p.loaded.definition.name, state: p.state }));
  }

  /** Registers plugins given in start order (see orderPlugins). */
  register(ordered: readonly LoadedPlugin[]): void {
    for (const loaded of ordered) {
      const ctx = this.createContext(loaded);
      let instance: SpoolPlugin;
      try {
        ctx.container.register(PluginContextToken.symbol, { useValue: ctx });
        instance = ctx.container.resolve(loaded.definition.plugin);
        instance.register?.();
      } catch (error) {
        throw new SpoolError(
          'SPOOL_ERR_PLUGIN_REGISTER',
          `plugin "${loaded.definition.name}" failed to register: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      this.plugins.push({ loaded, ctx, instance, state: 'registered' });
    }
  }

  /** Starts each plugin in order; on a failure, stops the ones already started and throws. */
  async start(): Promise<void> {
    for (const plugin of this.plugins) {
      const name = plugin.loaded.definition.name;
      const timeoutMs = plugin.loaded.entry.startTimeoutMs ?? this.deps.kernelConfig.plugins.startTimeoutMs;
      plugin.state = 'starting';
      try {
        await withTimeout(
          Promise.resolve().then(() => plugin.instance.start?.()),
          timeoutMs,
          () =>
            new SpoolError(
              'SPOOL_ERR_PLUGIN_START_TIMEOUT',
              `plugin "${name}" did not start within ${timeoutMs} ms (plugins.startTimeoutMs)`,
            ),
        );
        plugin.state = 'started';
        plugin.ctx.log.debug('started');
      } catch (error) {
        plugin.state = 'failed';
        const failure =
          error instanceof SpoolError && error.code === 'SPOOL_ERR_PLUGIN_START_TIMEOUT'
            ? error
            : new SpoolError(
                'SPOOL_ERR_PLUGIN_START',
                `plugin "${name}" failed to start: ${errorMessage(error)}`,
                {
                  cause: error,
                },
              );
        await this.stop();
        throw failure;
      }
    }
  }

  /** Stops started plugins in reverse order; a failing or hanging stop is logged and skipped. */
  async stop(): Promise<void> {
    const timeoutMs = this.deps.kernelConfig.plugins.stopTimeoutMs;
    for (const plugin of [...this.plugins].reverse()) {
      if (plugin.state !== 'started' && plugin.state !== 'failed') continue;
      const name = plugin.loaded.definition.name;
      plugin.state = 'stopping';
      try {
        await withTimeout(
          Promise.resolve().then(() => plugin.instance.stop?.()),
          timeoutMs,
          () => new Error(`did not stop within ${timeoutMs} ms (plugins.stopTimeoutMs)`),
        );
      } catch (error) {
        this.deps.hooks.reportPluginError({ plugin: name, where: 'stop', error });
      }
      plugin.state = 'stopped';
    }
  }

  private createContext(loaded: LoadedPlugin): PluginContext<Record<string, unknown>> {
    const { definition } = loaded;
    const { hooks, services, metrics } = this.deps;
    const scope = services.createScope(definition.name, [
      ...(definition.dependsOn ?? []),
      ...(definition.optionalDependsOn ?? []),
    ]);
    return Object.freeze({
      name: definition.name,
      config: this.deps.pluginConfig(definition.name),
      kernelConfig: this.deps.kernelConfig,
      log: pluginLogger(this.deps.rootLog, definition.name),
      hooks: hooks.forPlugin(definition.name),
      bus: this.deps.bus,
      metrics,
      container: scope.container,
      dataDir: join(resolve(this.deps.kernelConfig.dataDir), definition.name),
      provide: scope.provide.bind(scope),
      provideFactory: scope.provideFactory.bind(scope),
      defineHooks: <S extends HookTable>(kinds: HookKinds<S>) => hooks.catalogue<S>(definition.name, kinds),
      provideHooks: scope.provideHooks.bind(scope),
      use: scope.use.bind(scope),
      tryUse: scope.tryUse.bind(scope),
      reportError: (where: string, error: unknown) =>
        hooks.reportPluginError({ plugin: definition.name, where, error }),
    });
  }
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
