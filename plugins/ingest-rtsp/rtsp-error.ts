/**
 * Why an RTSP session failed. The capture decides from `kind` whether to try again: a refused
 * login or publish is not retried (it would be refused again), everything else is, with backoff.
 */
export type RtspErrorKind =
  /** 401 after the credentials were sent, or no credentials for a camera that wants them. */
  | 'unauthorized'
  /** Bytes that are not RTSP, a malformed reply, a limit exceeded. */
  | 'protocol'
  /** Connection refused, reset or closed. */
  | 'network'
  /** No reply, or no media, in time. */
  | 'timeout'
  /** A reply with an error status (404, 454, 461 …). */
  | 'status'
  /** Spool refused the stream (a `publish` hook, the name is in use): retrying would not change that. */
  | 'refused'
  /** Nothing the ingest can record (no H.264, AAC or G.711 track), or a feature it lacks. */
  | 'unsupported';

export class RtspError extends Error {
  constructor(
    readonly kind: RtspErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RtspError';
  }
}
