import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { DestinationStream, Logger } from 'pino';
import { StreamBus } from './bus/bus.js';
import { loadConfig, type ConfigSources } from './config/load.js';
import { KERNEL_SECTIONS, kernelSchema, type KernelConfig } from './config/schema.js';
import { SpoolError } from './errors.js';
import { Hooks } from './hooks.js';
import { HttpServer } from './http.js';
import { createLogger, pluginLogger } from './log.js';
import { createKernelMetrics, type KernelMetrics } from './metrics.js';
import { BUILTIN_PLUGINS_DIR, DEFAULT_CONFIG_FILE, DEFAULT_PLUGINS_FILE } from './paths.js';
import { PluginHost } from './plugins/host.js';
import { loadPlugin, type LoadedPlugin } from './plugins/loader.js';
import { readBuiltinManifest, referenceKeysOf } from './plugins/manifest.js';
import { orderPlugins } from './plugins/order.js';
import { readPluginsFile, type PluginEntry } from './plugins/plugins-file.js';
import { ServiceRegistry } from './services.js';
import type { HookCatalogue, HookTable, HooksOf } from './hook-catalogue.js';
import type { Token } from './tokens.js';
import { BusToken, ConfigToken, HttpToken, LoggerToken, MetricsToken } from './kernel-tokens.js';

export interface SpoolOptions extends ConfigSources {
  /** plugins.json to read; default: the one at the package root. */
  readonly pluginsFile?: string;
  /** Where built-in plugins are; default dist/plugins. */
  readonly builtinPluginsDir?: string;
  /** Log destination (tests); default stdout. */
  readonly logDestination?: DestinationStream;
}

type SpoolState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface PluginListing {
  readonly entry: PluginEntry;
  readonly loaded?: LoadedPlugin;
}

/** Reads plugins.json and loads the modules of the enabled plugins, in plugins.json order. */
export async function loadPluginList(pluginsFile: string, builtinDir: string): Promise<PluginListing[]> {
  const entries = readPluginsFile(pluginsFile);
  return Promise.all(
    entries.map(async (entry) =>
      entry.enabled ? { entry, loaded: await loadPlugin(entry, pluginsFile, builtinDir) } : { entry },
    ),
  );
}

/**
 * The kernel: reads plugins.json and config, registers the plugins, then starts and stops
 * everything in order. `Spool.create` does no I/O beyond reading files and loading modules.
 */
export class Spool {
  readonly hooks: Hooks;
  readonly bus: StreamBus;
  readonly metrics: KernelMetrics;
  readonly http: HttpServer;
  readonly services = new ServiceRegistry();
  private readonly host: PluginHost;
  private state: SpoolState = 'created';
  private stopPromise: Promise<void> | undefined;
  /** The kernel's own logger (lines carry plugin: "kernel"). */
  readonly log: Logger;

  private constructor(
    readonly config: KernelConfig,
    readonly effectiveConfig: ReturnType<typeof loadConfig>,
    readonly rootLog: Logger,
    readonly plugins: readonly LoadedPlugin[],
  ) {
    const log = pluginLogger(rootLog, 'kernel');
    this.log = log;
    this.metrics = createKernelMetrics();
    this.hooks = new Hooks(rootLog);
    this.hooks.tap('kernel', 'pluginError', ({ plugin }) => {
      this.metrics.pluginErrors.inc({ plugin });
    });
    this.bus = new StreamBus(this.hooks, log, this.metrics, config.bus);
    this.http = new HttpServer(log, this.metrics, () => this.health());
    this.services.provideKernel(ConfigToken, config);
    this.services.provideKernel(LoggerToken, rootLog);
    this.services.provideKernel(BusToken, this.bus);
    this.services.provideKernel(MetricsToken, this.metrics);
    this.services.provideKernel(HttpToken, this.http);
    this.host = new PluginHost({
      rootLog,
      hooks: this.hooks,
      bus: this.bus,
      metrics: this.metrics,
      services: this.services,
      kernelConfig: config,
      pluginConfig: (name) =>
        (effectiveConfig.config.has(name as never)
          ? effectiveConfig.config.get(name as never)
          : {}) as Record<string, unknown>,
    });
    this.host.register(plugins);
  }

  static async create(options: SpoolOptions = {}): Promise<Spool> {
    const pluginsFile = options.pluginsFile ?? DEFAULT_PLUGINS_FILE;
    const listing = await loadPluginList(pluginsFile, options.builtinPluginsDir ?? BUILTIN_PLUGINS_DIR);
    const enabled = listing.flatMap((item) => (item.loaded === undefined ? [] : [item.loaded]));
    const ordered = orderPlugins(
      enabled.map((loaded) => ({
        name: loaded.definition.name,
        dependsOn: loaded.definition.dependsOn ?? [],
        optionalDependsOn: loaded.definition.optionalDependsOn ?? [],
        loaded,
      })),
      listing.map((item) => item.entry),
    ).map((node) => node.loaded);

    const schema: Record<string, unknown> = { ...kernelSchema };
    for (const { definition } of ordered) {
      if (KERNEL_SECTIONS.includes(definition.name)) {
        throw new SpoolError(
          'SPOOL_ERR_PLUGIN_INVALID',
          `plugin "${definition.name}" takes a name reserved for the kernel's config section`,
        );
      }
      if (definition.config !== undefined) schema[definition.name] = definition.config;
    }
    const disabledPlugins = new Set(
      listing.filter((item) => !item.entry.enabled).map((item) => item.entry.name),
    );
    const builtinDir = options.builtinPluginsDir ?? BUILTIN_PLUGINS_DIR;
    const referenceKeys = { ...readBuiltinManifest(builtinDir).referenceKeys };
    for (const { definition } of ordered) Object.assign(referenceKeys, referenceKeysOf(definition as never));
    const loaded = loadConfig({
      schema,
      disabledPlugins,
      referenceKeys,
      defaultsFile:
        options.defaultsFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined),
      configFiles: options.configFiles ?? [],
      propertiesFiles: options.propertiesFiles ?? [],
      env: options.env ?? {},
      sets: options.sets ?? [],
    });
    const kernelConfig = Object.freeze(
      Object.fromEntries(KERNEL_SECTIONS.map((key) => [key, loaded.config.get(key as never)])),
    ) as unknown as KernelConfig;
    const rootLog = createLogger({
      level: kernelConfig.log.level,
      pretty: kernelConfig.log.pretty,
      ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
    });
    const log = pluginLogger(rootLog, 'kernel');
    for (const warning of loaded.warnings) log.warn(warning);
    for (const notice of loaded.notices) log.info(notice);
    return new Spool(kernelConfig, loaded, rootLog, ordered);
  }

  /**
   * A service exported by any enabled plugin (or the kernel), for code that embeds Spool. A hooks
   * token gives a facade whose taps are named `user`.
   */
  service<T>(token: Token<T>, user = 'host'): T {
    return this.services.resolve(token, user);
  }

  /** The whole catalogue behind a plugin's hooks token (tap by name, call): for code that embeds Spool. */
  hookCatalogue<S extends HookTable>(token: Token<HooksOf<S>>): HookCatalogue<S> {
    return this.services.catalogue(token);
  }

  get httpPort(): number {
    return this.http.port;
  }

  health(): { ok: boolean; status: string; plugins: ReadonlyArray<{ name: string; state: string }> } {
    return { ok: this.state === 'running', status: this.state, plugins: this.host.states };
  }

  /** Mounts plugin routes, listens, starts plugins in order, then runs `ready`. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`Spool cannot start from state ${this.state}`);
    this.state = 'starting';
    try {
      this.hooks.callSync('routes', { mount: (router) => this.http.mount(router) });
      await this.http.listen(this.config.http.port, this.config.http.host);
      await this.host.start();
    } catch (error) {
      this.state = 'failed';
      await this.http.close();
      throw error;
    }
    this.state = 'running';
    this.log.info(
      { httpPort: this.httpPort, plugins: this.plugins.map((p) => p.definition.name) },
      `Spool started: HTTP on ${this.config.http.host}:${this.httpPort}, ${this.plugins.length} plugin(s)`,
    );
    await this.hooks.call('ready', { httpPort: this.httpPort });
  }

  /**
   * Graceful stop: `shutdown` hook, no new HTTP connections, plugins stopped in reverse order
   * (recorders finalize their files), then any stream still published is ended. Idempotent.
   */
  stop(signal?: string): Promise<void> {
    this.stopPromise ??= this.runStop(signal);
    return this.stopPromise;
  }

  private async runStop(signal?: string): Promise<void> {
    this.state = 'stopping';
    this.log.info(signal === undefined ? 'stopping' : `stopping on ${signal}`);
    await this.hooks.call('shutdown', signal === undefined ? {} : { signal });
    await this.http.close();
    await this.host.stop();
    await this.bus.endAll('server stopped');
    this.state = 'stopped';
    this.log.info('stopped');
    this.rootLog.flush();
  }
}
