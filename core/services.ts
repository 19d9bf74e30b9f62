import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { SpoolError } from './errors.js';
import type { HookCatalogue, HookTable, HooksOf } from './hook-catalogue.js';
import type { Token } from './tokens.js';

export const KERNEL_OWNER = 'kernel';

/**
 * Owns the tsyringe containers: one root for the kernel's services, one child per plugin.
 * It enforces the rule that a plugin reaches another plugin's services only when it lists that
 * plugin in `dependsOn` (or `optionalDependsOn`).
 */
export class ServiceRegistry {
  readonly root: DependencyContainer;
  private readonly owners = new Map<symbol, string>();
  private readonly tokens = new Map<symbol, Token<unknown>>();
  private readonly scopes = new Map<string, PluginScope>();
  /** Services whose value depends on who uses them (hook facades named after the user). */
  private readonly perUser = new Map<symbol, (user: string) => unknown>();
  private readonly catalogues = new Map<symbol, unknown>();

  constructor() {
    this.root = rootContainer.createChildContainer();
  }

  provideKernel<T>(token: Token<T>, value: T): void {
    this.root.register(token.symbol, { useValue: value });
    this.owners.set(token.symbol, KERNEL_OWNER);
  }

  ownerOf(token: Token<unknown>): string | undefined {
    return this.owners.get(token.symbol);
  }

  /**
   * Resolves any provided service, whoever owns it: for code that embeds Spool (tests, tools).
   * A per-user service (a hook facade) is built for `user`.
   */
  resolve<T>(token: Token<T>, user = 'host'): T {
    const owner = this.owners.get(token.symbol);
    if (owner === undefined) {
      throw new SpoolError(
        'SPOOL_ERR_SERVICE_NOT_FOUND',
        `${token.name} is not provided by any enabled plugin`,
      );
    }
    const perUser = this.perUser.get(token.symbol);
    if (perUser !== undefined) return perUser(user) as T;
    const container = owner === KERNEL_OWNER ? this.root : this.scopes.get(owner)!.container;
    return container.resolve<T>(token.symbol);
  }

  /** The whole catalogue behind a hooks token (call and tap by name): for code that embeds Spool. */
  catalogue<S extends HookTable>(token: Token<HooksOf<S>>): HookCatalogue<S> {
    const catalogue = this.catalogues.get(token.symbol);
    if (catalogue === undefined) {
      throw new SpoolError(
        'SPOOL_ERR_SERVICE_NOT_FOUND',
        `${token.name} is not provided by any enabled plugin`,
      );
    }
    return catalogue as HookCatalogue<S>;
  }

  /** Tokens already provided by `plugin`, for binding them into a dependant's container. */
  tokensOf(plugin: string): Token<unknown>[] {
    return [...this.tokens.values()].filter((token) => this.owners.get(token.symbol) === plugin);
  }

  /** @internal used by PluginScope */
  perUserFactory(token: Token<unknown>): ((user: string) => unknown) | undefined {
    return this.perUser.get(token.symbol);
  }

  /** @internal used by PluginScope.provideHooks */
  registerPerUser<S extends HookTable>(token: Token<HooksOf<S>>, catalogue: HookCatalogue<S>): void {
    this.perUser.set(token.symbol, (user) => catalogue.forPlugin(user));
    this.catalogues.set(token.symbol, catalogue);
  }

  /**
   * Creates the plugin's scope. Call in dependency order so dependencies' tokens are known.
   * `dependsOn` lists every plugin whose services it may use, optional dependencies included.
   */
  createScope(pluginName: string, dependsOn: readonly string[]): PluginScope {
    const scope = new PluginScope(this, pluginName, dependsOn, this.root.createChildContainer());
    this.scopes.set(pluginName, scope);
    // The services of the plugin's dependencies (provided in their register, which ran before) are
    // bound into its container, so its class's constructor can have them injected.
    for (const dependency of dependsOn) {
      for (const token of this.tokensOf(dependency)) {
        scope.container.register(token.symbol, { useFactory: () => scope.use(token) });
      }
    }
    return scope;
  }

  scope(pluginName: string): PluginScope | undefined {
    return this.scopes.get(pluginName);
  }

  /** @internal used by PluginScope.provide */
  claim(token: Token<unknown>, pluginName: string): void {
    const owner = this.owners.get(token.symbol);
    if (owner !== undefined && owner !== pluginName) {
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_REGISTER',
        `plugin "${pluginName}" tried to provide ${token.name}, which "${owner}" already provides`,
      );
    }
    this.owners.set(token.symbol, pluginName);
    this.tokens.set(token.symbol, token);
  }
}

export class PluginScope {
  constructor(
    private readonly registry: ServiceRegistry,
    readonly pluginName: string,
    readonly dependsOn: readonly string[],
    /** The plugin's own child container; resolve the plugin's classes here. */
    readonly container: DependencyContainer,
  ) {}

  /** Exports a service under a token (declare the token in the plugin's api.ts). */
  provide<T>(token: Token<T>, value: T): void {
    this.registry.claim(token, this.pluginName);
    this.container.register(token.symbol, { useValue: value });
  }

  /** Exports a service built on first use, e.g. a class resolved with its injected tokens. */
  provideFactory<T>(token: Token<T>, factory: (c: DependencyContainer) => T): void {
    this.registry.claim(token, this.pluginName);
    let built: { value: T } | undefined;
    this.container.register(token.symbol, {
      useFactory: (c) => (built ??= { value: factory(c) }).value,
    });
  }

  /** Exports the tap side of a hook catalogue: each user gets a facade named after it. */
  provideHooks<S extends HookTable>(token: Token<HooksOf<S>>, catalogue: HookCatalogue<S>): void {
    this.registry.claim(token, this.pluginName);
    this.registry.registerPerUser(token, catalogue);
    this.container.register(token.symbol, { useFactory: () => catalogue.forPlugin(this.pluginName) });
  }

  /** Resolves a kernel service, this plugin's own service, or a dependency's exported service. */
  use<T>(token: Token<T>): T {
    const owner = this.registry.ownerOf(token);
    if (owner === undefined) {
      throw new SpoolError(
        'SPOOL_ERR_SERVICE_NOT_FOUND',
        `plugin "${this.pluginName}" asked for ${token.name}, which no enabled plugin provides`,
      );
    }
    return this.resolveOwned(token, owner);
  }

  /** As `use`, but undefined when no enabled plugin provides the token (an optional dependency). */
  tryUse<T>(token: Token<T>): T | undefined {
    const owner = this.registry.ownerOf(token);
    return owner === undefined ? undefined : this.resolveOwned(token, owner);
  }

  private resolveOwned<T>(token: Token<T>, owner: string): T {
    if (owner === KERNEL_OWNER) return this.registry.root.resolve<T>(token.symbol);
    if (owner === this.pluginName) return this.container.resolve<T>(token.symbol);
    if (!this.dependsOn.includes(owner)) {
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_UNDECLARED_DEPENDENCY',
        `plugin "${this.pluginName}" used ${token.name} from plugin "${owner}" without listing "${owner}" in dependsOn or optionalDependsOn`,
      );
    }
    const perUser = this.registry.perUserFactory(token);
    if (perUser !== undefined) return perUser(this.pluginName) as T;
    const ownerScope = this.registry.scope(owner);
    if (ownerScope === undefined) {
      throw new SpoolError('SPOOL_ERR_SERVICE_NOT_FOUND', `plugin "${owner}" has no scope`);
    }
    return ownerScope.container.resolve<T>(token.symbol);
  }
}
