import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
} from 'tapable';
import type { Logger } from 'pino';
import type {
  FileNameArgs,
  PluginErrorEvent,
  PublishRefusal,
  PublishRequest,
  ReadyEvent,
  RecordedFile,
  RecordingSettings,
  RoutesArgs,
  ShutdownEvent,
  StreamEvent,
  UnpublishedEvent,
} from './events.js';

/**
 * The whole lifecycle in one table: each hook's argument, what a tap returns, and how taps are
 * combined (tapable's kinds). Lifecycle and decisions go through hooks; media frames never do.
 */
export interface HookSignatures {
  /** Bail: the first tap that returns a refusal stops the publish. */
  publish: { arg: PublishRequest; result: PublishRefusal | undefined; kind: 'bail' };
  published: { arg: StreamEvent; result: void; kind: 'parallel' };
  unpublished: { arg: UnpublishedEvent; result: void; kind: 'parallel' };
  /** Waterfall over the settings a recording starts with. */
  recordingStart: { arg: RecordingSettings; result: RecordingSettings; kind: 'waterfall' };
  /** Waterfall over the file's base name. */
  fileName: { arg: FileNameArgs; result: FileNameArgs; kind: 'waterfall' };
  /** One file (or rotation part) closed and moved to record_dir. */
  segmentClosed: { arg: RecordedFile; result: void; kind: 'parallel' };
  /** A finished file ready for consumers: hook scripts, callbacks, uploads. */
  recordingFinished: { arg: RecordedFile; result: void; kind: 'parallel' };
  routes: { arg: RoutesArgs; result: void; kind: 'sync' };
  ready: { arg: ReadyEvent; result: void; kind: 'parallel' };
  shutdown: { arg: ShutdownEvent; result: void; kind: 'series' };
  pluginError: { arg: PluginErrorEvent; result: void; kind: 'sync' };
}

export type HookName = keyof HookSignatures;
type Sig<K extends HookName> = HookSignatures[K];
type SyncHookName = { [K in HookName]: Sig<K>['kind'] extends 'sync' ? K : never }[HookName];
type AsyncHookName = Exclude<HookName, SyncHookName>;

/** A waterfall tap may return a new value or mutate the one it got and return nothing. */
type TapResult<K extends HookName> = Sig<K>['kind'] extends 'waterfall'
  ? Sig<K>['result'] | void
  : Sig<K>['result'];

export type TapFn<K extends HookName> = Sig<K>['kind'] extends 'sync'
  ? (arg: Sig<K>['arg']) => TapResult<K>
  : (arg: Sig<K>['arg']) => TapResult<K> | Promise<TapResult<K>>;

/** What a plugin sees: `ctx.hooks.published.tap(fn)`; the tap is named after the plugin. */
export type PluginHooks = {
  readonly [K in HookName]: { tap(fn: TapFn<K>): void };
};

const HOOK_KINDS: { readonly [K in HookName]: Sig<K>['kind'] } = Object.freeze({
  publish: 'bail',
  published: 'parallel',
  unpublished: 'parallel',
  recordingStart: 'waterfall',
  fileName: 'waterfall',
  segmentClosed: 'parallel',
  recordingFinished: 'parallel',
  routes: 'sync',
  ready: 'parallel',
  shutdown: 'series',
  pluginError: 'sync',
});

export const HOOK_NAMES = Object.freeze(Object.keys(HOOK_KINDS) as HookName[]);

/* eslint-disable @typescript-eslint/no-explicit-any -- tapable's generic hook classes are
   addressed uniformly here; the public surface above stays fully typed. */
type AnyHook = {
  tap(options: { name: string }, fn: (arg: any) => any): void;
  tapPromise?(options: { name: string }, fn: (arg: any) => Promise<any>): void;
  call?(arg: any): any;
  promise?(arg: any): Promise<any>;
  isUsed(): boolean;
};

function createTapable(name: HookName): AnyHook {
  const args = ['arg'] as const;
  switch (HOOK_KINDS[name]) {
    case 'bail':
      return new AsyncSeriesBailHook<[unknown], unknown>(args) as unknown as AnyHook;
    case 'parallel':
      return new AsyncParallelHook<[unknown]>(args) as unknown as AnyHook;
    case 'series':
      return new AsyncSeriesHook<[unknown]>(args) as unknown as AnyHook;
    case 'waterfall':
      return new AsyncSeriesWaterfallHook<[unknown]>(args) as unknown as AnyHook;
    case 'sync':
      return new SyncHook<[unknown]>(args) as unknown as AnyHook;
  }
}

/**
 * The hook catalogue. Every tap is wrapped when it is registered: a tap that throws or rejects is
 * logged with its plugin's name and emitted on `pluginError`, and the other taps still run.
 * A failed bail tap does not bail; a failed waterfall tap passes its input on unchanged.
 */
export class Hooks {
  private readonly tapables: Readonly<Record<HookName, AnyHook>>;

  constructor(private readonly log: Logger) {
    const entries = HOOK_NAMES.map((name) => [name, createTapable(name)] as const);
    this.tapables = Object.freeze(Object.fromEntries(entries) as Record<HookName, AnyHook>);
  }

  /** Registers a guarded tap named after `plugin`. */
  tap<K extends HookName>(plugin: string, name: K, fn: TapFn<K>): void {
    const hook = this.tapables[name];
    const kind = HOOK_KINDS[name];
    const fallback = (arg: unknown): unknown => (kind === 'waterfall' ? arg : undefined);
    if (kind === 'sync') {
      hook.tap({ name: plugin }, (arg) => {
        try {
          return (fn as (a: unknown) => unknown)(arg);
        } catch (error) {
          this.reportTapError(plugin, name, error);
          return fallback(arg);
        }
      });
      return;
    }
    hook.tapPromise!({ name: plugin }, async (arg) => {
      try {
        const result = await (fn as (a: unknown) => unknown)(arg);
        // A waterfall tap that returns nothing keeps the value it was given (it may mutate it).
        return kind === 'waterfall' && result === undefined ? arg : result;
      } catch (error) {
        this.reportTapError(plugin, name, error);
        return fallback(arg);
      }
    });
  }

  /** Runs an asynchronous hook; resolves with the bail result or the waterfall's final value. */
  call<K extends AsyncHookName>(name: K, arg: Sig<K>['arg']): Promise<Sig<K>['result']> {
    return this.tapables[name].promise!(arg) as Promise<Sig<K>['result']>;
  }

  callSync<K extends SyncHookName>(name: K, arg: Sig<K>['arg']): void {
    this.tapables[name].call!(arg);
  }

  isUsed(name: HookName): boolean {
    return this.tapables[name].isUsed();
  }

  /** The facade a plugin receives: taps are named after it and guarded. */
  forPlugin(plugin: string): PluginHooks {
    const facade = Object.fromEntries(
      HOOK_NAMES.map((name) => [
        name,
        Object.freeze({ tap: (fn: TapFn<typeof name>) => this.tap(plugin, name, fn) }),
      ]),
    );
    return Object.freeze(facade) as unknown as PluginHooks;
  }

  private reportTapError(plugin: string, where: HookName, error: unknown): void {
    this.log.error({ plugin, hook: where, err: error }, `hook tap "${where}" of plugin "${plugin}" failed`);
    if (where === 'pluginError') return; // never recurse
    try {
      this.tapables.pluginError.call!({ plugin, where: `hook:${where}`, error });
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
    this.tapables.pluginError.call!(event);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
