import { createToken, type Stream } from '../../core/index.js';

/**
 * CONNECTING: first connection under way. PLAYING: the session runs (the stream is on the bus
 * once its tracks are known). RECONNECTING: the last session failed, the next attempt is waiting.
 * FAILED: the camera refused the credentials or Spool refused the stream; not retried.
 * STOPPED: terminated.
 */
export type CaptureStatus = 'CONNECTING' | 'PLAYING' | 'RECONNECTING' | 'FAILED' | 'STOPPED';

/** A pulled camera as /rest-api/rtsp/find_all lists it. */
export interface CaptureView {
  /** The camera's URI without credentials. */
  readonly uri: string;
  /** The name of the stream it is published as. */
  readonly toStream: string;
  readonly status: CaptureStatus;
  /** Why the last session ended ("Unauthorized: …", "no media from the camera for 10000 ms" …). */
  readonly info?: string;
  /** True when pulled because a stream named rtsp://… was asked for. */
  readonly onDemand: boolean;
}

/** The RTSP ingest as other plugins (play, record on demand), tests and embedding code see it. */
export interface RtspIngest {
  /**
   * Starts pulling `uri` (credentials may be in it, URL-escaped) as the stream `toStream`, or, when
   * that is absent, as the URI without credentials. Throws a SpoolError 409 when the URI is already
   * pulled or the name is taken, 400 when the URI is not rtsp://.
   */
  startup(uri: string, toStream?: string): void;
  /** Stops pulling: TEARDOWN, the stream ends. Throws a SpoolError 404 when the URI is not pulled. */
  terminate(uri: string): Promise<void>;
  list(): CaptureView[];
  /**
   * Capture on demand: a play or record request for a stream named `rtsp://…` calls this. Returns
   * the stream once it is on the bus, pulling the camera first if nobody does yet; an on-demand
   * capture nobody subscribes to for onDemandIdleMs is released. Rejects when the camera cannot be
   * played within `timeoutMs` (default 30 s) or refuses the credentials.
   */
  ensure(uri: string, options?: { timeoutMs?: number }): Promise<Stream>;
  /** Whether a requested stream name is one `ensure` would pull. */
  isRtspName(name: string): boolean;
}

export const RtspIngestToken = createToken<RtspIngest>('ingest-rtsp.captures');
