import type { Logger } from 'pino';
import {
  HookCatalogue,
  type CatalogueTapFn,
  type HookKinds,
  type HookTable,
  type HooksOf,
} from './hook-catalogue.js';
import type {
  PluginErrorEvent,
  PublishRefusal,
  PublishRequest,
  ReadyEvent,
  RoutesArgs,
  ShutdownEvent,
  StreamEvent,
  UnpublishedEvent,
} from './events.js';

/**
 * The kernel's lifecycle in one table: each hook's argument, what a tap returns, and how taps are
 * combined. Only what the kernel itself fires is here; a plugin declares its own hooks in its api.ts
 * (the recorder's recordingStart, fileName, segmentClosed, recordingFinished). Lifecycle and
 * decisions go through hooks; media frames never do.
 */
export type HookSignatures = {
  /** Bail: the first tap that returns a refusal stops the publish. */
  publish: { arg: PublishRequest; result: PublishRefusal | undefined; kind: 'bail' };
  published: { arg: StreamEvent; result: void; kind: 'parallel' };
  unpublished: { arg: UnpublishedEvent; result: void; kind: 'parallel' };
  routes: { arg: RoutesArgs; result: void; kind: 'sync' };
  ready: { arg: ReadyEvent; result: void; kind: 'parallel' };
  shutdown: { arg: ShutdownEvent; result: void; kind: 'series' };
  pluginError: { arg: PluginErrorEvent; result: void; kind: 'sync' };
};

export type HookName = keyof HookSignatures & string;
export type TapFn<K extends HookName> = CatalogueTapFn<HookSignatures, K>;

/** What a plugin sees: `ctx.hooks.published.tap(fn)`; the tap is named after the plugin. */
export type PluginHooks = HooksOf<HookSignatures>;

const HOOK_KINDS: HookKinds<HookSignatures> = Object.freeze({
  publish: 'bail',
  published: 'parallel',
  unpublished: 'parallel',
  routes: 'sync',
  ready: 'parallel',
  shutdown: 'series',
  pluginError: 'sync',
});

export const HOOK_NAMES = Object.freeze(Object.keys(HOOK_KINDS) as HookName[]);

/**
 * The kernel's hook catalogue. A tap that throws, here or in any plugin's own catalogue (see
 * `catalogue`), is logged with its plugin's name and emitted on `pluginError`.
 */
export class Hooks extends HookCatalogue<HookSignatures> {
  constructor(private readonly log: Logger) {
    super(HOOK_KINDS, (plugin, hook, error) => this.reportTapError(plugin, hook, error));
  }

  /**
   * A guarded catalogue of a plugin's own hooks (`owner` declares them), whose tap errors reach the
   * log and `pluginError` like the kernel's.
   */
  catalogue<S extends HookTable>(owner: string, kinds: HookKinds<S>): HookCatalogue<S> {
    return new HookCatalogue<S>(kinds, (plugin, hook, error) =>
      this.reportTapError(plugin, hook, error, owner),
    );
  }

  private reportTapError(plugin: string, where: string, error: unknown, owner = 'kernel'): void {
    this.log.error(
      { plugin, hook: where, hookOwner: owner, err: error },
      `hook tap "${where}" of plugin "${plugin}" failed`,
    );
    if (where === 'pluginError') return; // never recurse
    try {
      this.callSync('pluginError', { plugin, where: `hook:${where}`, error });
    } catch {
      // pluginError taps are guarded themselves; nothing else can throw here.
    }
  }

  /** Reports an error raised outside hooks (a plugin's subscriber loop, a timer …). */
  reportPluginError(event: { plugin: string; where: string; error: unknown }): void {
    this.log.error(
      { plugin: event.plugin, where: event.where, err: event.error },
      `plugin "${event.plugin}" failed in ${event.where}`,
    );
    this.callSync('pluginError', event);
  }
}
