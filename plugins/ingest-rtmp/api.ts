import { createToken } from '../../core/index.js';

/** The RTMP ingest as other plugins, tests and embedding code see it. */
export interface RtmpIngest {
  /** The port RTMP publishers connect to (the real one when `ingest-rtmp.port` is 0); 0 until started. */
  readonly port: number;
  /** The address it binds to. */
  readonly host: string;
  /** The RTMP application publishers use (`rtmp://HOST:PORT/<app>/<stream>`); '' = any. */
  readonly app: string;
  /** RTMP publishers connected right now (accepted, on the bus or about to be). */
  readonly publishers: number;
}

export const RtmpIngestToken = createToken<RtmpIngest>('ingest-rtmp.server');

/** An RTMP play command, as the player sent it on the ingest port. */
export interface RtmpPlayRequest {
  /** The RTMP application (`live` in `rtmp://HOST/live/NAME`), already checked against `ingest-rtmp.app`. */
  readonly app: string;
  /** The stream name exactly as sent, without its query: not URL-decoded. */
  readonly name: string;
  /** The query exactly as the player sent it after `?`. */
  readonly rawQuery: string;
  readonly query: URLSearchParams;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly tcUrl: string;
}

/**
 * The player's RTMP connection, handed to the play handler. Media goes out as RTMP messages on the
 * player's stream; the handler decides what is sent and when, and watches `bufferedBytes` itself
 * (nothing here buffers or drops).
 */
export interface RtmpPlayConnection {
  /** StreamBegin, NetStream.Play.Reset and NetStream.Play.Start, |RtmpSampleAccess: call once, before media. */
  start(): void;
  /** One RTMP message of type 8 (audio), 9 (video) or 18 (data) carrying an FLV tag body. */
  send(type: number, timestampMs: number, body: Buffer): void;
  /** Bytes written and not yet taken by the kernel (the socket's writableLength). */
  readonly bufferedBytes: number;
  /** Resolves once the socket's buffer has drained, or the connection closed. */
  drained(): Promise<void>;
  /** An onStatus error (`NetStream.Play.StreamNotFound`, `NetStream.Play.Failed`), then the connection ends. */
  refuse(code: string, description: string): void;
  /**
   * The end of the stream: NetStream.Play.UnpublishNotify and NetStream.Play.Stop, StreamEOF, then
   * the connection ends once what is buffered has been sent (cut after a grace period).
   */
  finish(description: string): void;
  /** Closes at once, dropping what is buffered (a player that stopped reading). */
  destroy(): void;
  readonly closed: boolean;
  /** Runs once when the connection is gone, whoever closed it; at once if it already is. */
  onClose(listener: () => void): void;
}

/** Takes a play command (synchronously, inside the socket's data handler; do the work later). */
export type RtmpPlayHandler = (request: RtmpPlayRequest, connection: RtmpPlayConnection) => void;

/**
 * RTMP play on the ingest port (one listener for publish and play). Without a handler, play is
 * refused with NetStream.Play.Failed. One handler at a time (the play-rtmp plugin).
 */
export interface RtmpPlayService {
  /** Returns the function that removes this handler again. */
  setPlayHandler(handler: RtmpPlayHandler): () => void;
}

export const RtmpPlayToken = createToken<RtmpPlayService>('ingest-rtmp.play');
