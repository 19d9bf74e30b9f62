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

/** Waterfall value of `recordingStart`: the settings a recording is about to start with. */
export interface RecordingSettings {
  readonly stream: StreamInfo;
  /** stream_record_policy_template or the REST override. */
  fileTemplate: string;
  /**
   * Seconds ("20"), megabytes ("10M") or "disabled"; undefined = the server's record_rotation
   * (the rotation plugin applies it; without that plugin nothing is rotated).
   */
  rotation?: string;
  /** Number the parts _1, _2 … (the rotation plugin sets it when it rotates and record_rotation_index_enabled). */
  numberParts?: boolean;
  /**
   * A multi-stream recording (several streams mixed into one file), set by whoever starts it.
   * Rotation never applies to one, whatever record_rotation or a REST "rotation" says.
   */
  readonly multiStream?: boolean;
  /** A tap may set false to skip this recording (reason is logged). */
  record: boolean;
  skipReason?: string;
  /** Who asked: the server's policy, the publisher's flag or the REST API. */
  readonly origin: 'policy' | 'publisher' | 'rest';
}

/** Waterfall value of `fileName`: a tap may rewrite the base name (without extension). */
export interface FileNameArgs {
  readonly stream: StreamInfo;
  name: string;
  readonly extension: string;
  readonly part?: number;
}

export type RecordingEndReason =
  'stopped' | 'unpublished' | 'rotation' | 'disk-space' | 'errors' | 'recovered' | 'shutdown';

/** One finished file: argument of `segmentClosed` and `recordingFinished`. */
export interface RecordedFile {
  readonly recordingId: string;
  readonly streamName: string;
  readonly mediaSessionId: string;
  readonly login: string;
  /** Absolute path of the finished file in record_dir. */
  readonly filePath: string;
  readonly fileName: string;
  readonly container: string;
  readonly part?: number;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly startTimeMillis: number;
  readonly endTimeMillis: number;
  readonly reason: RecordingEndReason;
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
