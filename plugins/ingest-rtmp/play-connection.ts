import type { Socket } from 'node:net';
import type { RtmpPlayConnection } from './api.js';

/** What a play connection needs of its NMS session (built in nms.ts, where NMS is reached). */
export interface RtmpMessageWire {
  readonly socket: Socket;
  /** An onStatus on the player's stream. */
  status(level: 'status' | 'error', code: string, description: string): void;
  /** A User Control event (StreamBegin 0, StreamEOF 1) for the player's stream. */
  userControl(event: number): void;
  /** The |RtmpSampleAccess data message players expect after Play.Start. */
  sampleAccess(): void;
  /** One message, chunked (NMS announced a chunk size of 65535 in its connect answer). */
  message(chunkStreamId: number, type: number, timestampMs: number, body: Buffer): Buffer;
  /** Ends the connection once written; NMS ignores what the client still sends. */
  end(description: string): void;
}

const STREAM_BEGIN = 0;
const STREAM_EOF = 1;
/** The chunk streams NMS itself uses for media (its RTMP_CHANNEL_AUDIO/VIDEO/DATA). */
const CHUNK_STREAM_BY_TYPE: Readonly<Record<number, number>> = { 8: 4, 9: 5, 18: 6 };
/** RTMP timestamps are 32 bits and wrap (about every 49.7 days). */
const TIMESTAMP_MODULO = 2 ** 32;

/** One player's connection: NMS's protocol messages plus media written straight to the socket. */
export class PlayConnection implements RtmpPlayConnection {
  private ended = false;

  constructor(private readonly wire: RtmpMessageWire) {}

  get closed(): boolean {
    return this.ended || this.wire.socket.destroyed || !this.wire.socket.writable;
  }

  get bufferedBytes(): number {
    return this.wire.socket.writableLength;
  }

  start(): void {
    if (this.closed) return;
    this.wire.userControl(STREAM_BEGIN);
    this.wire.status('status', 'NetStream.Play.Reset', 'Playing and resetting stream.');
    this.wire.status('status', 'NetStream.Play.Start', 'Started playing stream.');
    this.wire.sampleAccess();
  }

  send(type: number, timestampMs: number, body: Buffer): void {
    if (this.closed) return;
    const chunkStreamId = CHUNK_STREAM_BY_TYPE[type];
    if (chunkStreamId === undefined) throw new RangeError(`RTMP message type ${type} is not media`);
    const timestamp = ((Math.round(timestampMs) % TIMESTAMP_MODULO) + TIMESTAMP_MODULO) % TIMESTAMP_MODULO;
    this.wire.socket.write(this.wire.message(chunkStreamId, type, timestamp, body));
  }

  drained(): Promise<void> {
    const socket = this.wire.socket;
    if (this.closed || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  refuse(code: string, description: string): void {
    if (this.closed) return;
    this.ended = true;
    this.wire.status('error', code, description);
    this.wire.end(description);
  }

  finish(description: string): void {
    if (this.closed) return;
    this.ended = true;
    this.wire.status('status', 'NetStream.Play.UnpublishNotify', description);
    this.wire.status('status', 'NetStream.Play.Stop', description);
    this.wire.userControl(STREAM_EOF);
    this.wire.end(description);
  }

  destroy(): void {
    this.ended = true;
    this.wire.socket.destroy();
  }

  onClose(listener: () => void): void {
    if (this.wire.socket.closed) queueMicrotask(listener);
    else this.wire.socket.once('close', listener);
  }
}
