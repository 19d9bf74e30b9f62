import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
} from 'tapable';

/**
 * How a hook's taps are combined (tapable's kinds): `bail` — the first tap that returns something
 * stops the rest; `parallel` — all at once; `series` — one after another; `waterfall` — each gets
 * the previous tap's value; `sync` — synchronous, one after another.
 */
export type HookKind = 'bail' | 'parallel' | 'series' | 'waterfall' | 'sync';

/** One hook: the argument its taps get, what a tap returns, and the kind. */
export interface HookSignature {
  readonly arg: unknown;
  readonly result: unknown;
  readonly kind: HookKind;
}

/** A catalogue's whole table: hook name → signature. */
export type HookTable = { readonly [name: string]: HookSignature };

/** The kinds of a table, as a value: what a catalogue is built from. */
export type HookKinds<S extends HookTable> = { readonly [K in keyof S]: S[K]['kind'] };

type SyncNames<S extends HookTable> = { [K in keyof S]: S[K]['kind'] extends 'sync' ? K : never }[keyof S];
type AsyncNames<S extends HookTable> = Exclude<keyof S, SyncNames<S>>;

/** A waterfall tap may return a new value or mutate the one it got and return nothing. */
type TapResult<S extends HookTable, K extends keyof S> = S[K]['kind'] extends 'waterfall'
  ? S[K]['result'] | void
  : S[K]['result'];

export type CatalogueTapFn<S extends HookTable, K extends keyof S> = S[K]['kind'] extends 'sync'
  ? (arg: S[K]['arg']) => TapResult<S, K>
  : (arg: S[K]['arg']) => TapResult<S, K> | Promise<TapResult<S, K>>;

/** What a plugin sees of a catalogue: `hooks.published.tap(fn)`; the tap is named after that plugin. */
export type HooksOf<S extends HookTable> = {
  readonly [K in keyof S]: { tap(fn: CatalogueTapFn<S, K>): void };
};

/** Called when a tap throws or rejects: `plugin` is the tapping plugin, `hook` the hook's name. */
export type TapErrorReporter = (plugin: string, hook: string, error: unknown) => void;

/* eslint-disable @typescript-eslint/no-explicit-any -- tapable's generic hook classes are
   addressed uniformly here; the public surface above stays fully typed. */
type AnyHook = {
  tap(options: { name: string }, fn: (arg: any) => any): void;
  tapPromise?(options: { name: string }, fn: (arg: any) => Promise<any>): void;
  call?(arg: any): any;
  promise?(arg: any): Promise<any>;
  isUsed(): boolean;
};

function createTapable(kind: HookKind): AnyHook {
  const args = ['arg'] as const;
  switch (kind) {
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
 * A guarded hook catalogue: every hook declared once, in one frozen table, each with its kind. The
 * kernel's lifecycle hooks are one; a plugin declares its own (the recorder's `recordingStart` …)
 * with `ctx.defineHooks` and hands other plugins `forPlugin` facades through its api.ts token.
 * Every tap is wrapped when it is registered: a tap that throws or rejects is reported with its
 * plugin's name and the other taps still run. A failed bail tap does not bail; a failed waterfall
 * tap passes its input on unchanged.
 */
export class HookCatalogue<S extends HookTable> {
  /** The hooks' names, in declaration order. */
  readonly names: readonly (keyof S & string)[];
  private readonly tapables: Readonly<Record<keyof S, AnyHook>>;

  constructor(
    private readonly kinds: HookKinds<S>,
    private readonly onTapError: TapErrorReporter,
  ) {
    this.names = Object.freeze(Object.keys(kinds) as (keyof S & string)[]);
    const entries = this.names.map((name) => [name, createTapable(kinds[name])] as const);
    this.tapables = Object.freeze(Object.fromEntries(entries) as Record<keyof S, AnyHook>);
  }

  /**
   * Registers a guarded tap named after `plugin`. Plugins never call this: they get a `forPlugin`
   * facade, so a tap always carries its own plugin's name. Code that embeds Spool (tests, tools) may.
   */
  tap<K extends keyof S & string>(plugin: string, name: K, fn: CatalogueTapFn<S, K>): void {
    const hook = this.tapables[name];
    const kind = this.kinds[name];
    const fallback = (arg: unknown): unknown => (kind === 'waterfall' ? arg : undefined);
    if (kind === 'sync') {
      hook.tap({ name: plugin }, (arg) => {
        try {
          return (fn as (a: unknown) => unknown)(arg);
        } catch (error) {
          this.onTapError(plugin, name, error);
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
        this.onTapError(plugin, name, error);
        return fallback(arg);
      }
    });
  }

  /** Runs an asynchronous hook; resolves with the bail result or the waterfall's final value. */
  call<K extends AsyncNames<S>>(name: K, arg: S[K]['arg']): Promise<S[K]['result']> {
    return this.tapables[name].promise!(arg) as Promise<S[K]['result']>;
  }

  callSync<K extends SyncNames<S>>(name: K, arg: S[K]['arg']): void {
    this.tapables[name].call!(arg);
  }

  isUsed(name: keyof S): boolean {
    return this.tapables[name].isUsed();
  }

  /** The facade a plugin receives: its taps are named after it and guarded. */
  forPlugin(plugin: string): HooksOf<S> {
    const facade = Object.fromEntries(
      this.names.map((name) => [
        name,
        Object.freeze({ tap: (fn: CatalogueTapFn<S, typeof name>) => this.tap(plugin, name, fn) }),
      ]),
    );
    return Object.freeze(facade) as unknown as HooksOf<S>;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
