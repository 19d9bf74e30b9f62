import type Router from '@koa/router';
import type { Stream, StreamInfo } from './bus/stream.js';
import type { Track } from './media.js';

/** Argument of the `publish` hook: a publisher is about to publish. Any tap may refuse. */
export interface PublishRequest {
  readonly name: string;
  readonly login: string;
  readonly source: string;
  readonly record: boolean;
  readonly tracks: readonly Track[];
  /** Publisher-supplied parameters (RTMP/WHIP query string), e.g. record=true, login=alice. */
  readonly query: Readonly<Record<string, string>>;
  /** Remote address of the publisher, when known. */
  readonly remoteAddress?: string;
}

/** Returned by a `publish` tap to refuse the publish. */
export interface PublishRefusal {
  readonly reason: string;
  /** HTTP-ish status the ingest should answer with (WHIP) — defaults to 403. */
  readonly status?: number;
}

export interface StreamEvent {
  readonly stream: Stream;
}

export interface UnpublishedEvent {
  readonly stream: StreamInfo;
  readonly reason: string;
}

/** Argument of `routes`: mount a router; its prefix is the router's own. */
export interface RoutesArgs {
  mount(router: Router): void;
}

export interface ReadyEvent {
  readonly httpPort: number;
}

export interface ShutdownEvent {
  readonly signal?: string;
}

export interface PluginErrorEvent {
  readonly plugin: string;
  /** The hook, lifecycle step or subsystem in which it failed. */
  readonly where: string;
  readonly error: unknown;
}
