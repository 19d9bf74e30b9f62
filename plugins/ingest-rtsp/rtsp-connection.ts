import { connect, type Socket } from 'node:net';
import { RtspError } from './rtsp-error.js';
import { formatRequest, RtspMessageParser, type ParserLimits, type RtspResponse } from './rtsp-message.js';

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** rtsp_client_address: the local address to connect from; '' = the system's choice. */
  readonly localAddress: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly limits: ParserLimits;
  readonly userAgent: string;
}

export interface ConnectionEvents {
  /** RTP or RTCP on an interleaved channel. */
  onInterleaved(channel: number, payload: Buffer): void;
  /** The connection is gone (once): the error says why, undefined after close(). */
  onClose(error: RtspError | undefined): void;
}

interface Pending {
  readonly cseq: number;
  readonly description: string;
  resolve(response: RtspResponse): void;
  reject(error: RtspError): void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One RTSP control connection: requests with CSeq, replies matched to them, and the RTP/RTCP that
 * a TCP-interleaved session mixes in. Everything the socket delivers is handled inside try/catch:
 * malformed input closes this connection with an RtspError, never the process.
 */
export class RtspConnection {
  private readonly parser: RtspMessageParser;
  private socket: Socket | undefined;
  private cseq = 0;
  private readonly pending = new Map<number, Pending>();
  private closedWith: { error: RtspError | undefined } | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.parser = new RtspMessageParser(options.limits);
  }

  /** Once PLAY is answered: junk between interleaved frames is then skipped, within bounds. */
  set playing(value: boolean) {
    this.parser.playing = value;
  }

  /** The camera's IP address once connected (UDP media must come from it). */
  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  open(): Promise<void> {
    const { host, port, localAddress, connectTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(localAddress === '' ? {} : { localAddress }) });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        reject(
          new RtspError('timeout', `no TCP connection to ${host}:${port} within ${connectTimeoutMs} ms`),
        );
        this.close();
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const failure = new RtspError('network', `${host}:${port}: ${error.code ?? error.message}`, {
          cause: error,
        });
        reject(failure);
        this.fail(failure);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        const failure = new RtspError('network', `${host}:${port} closed the connection`);
        reject(failure);
        this.fail(failure);
      });
    });
  }

  /** Sends a request and resolves with its reply (any status); rejects on timeout or a lost connection. */
  request(
    method: string,
    uri: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<RtspResponse> {
    if (this.closedWith !== undefined || this.socket === undefined) {
      return Promise.reject(
        this.closedWith?.error ?? new RtspError('network', 'the RTSP connection is closed'),
      );
    }
    const cseq = ++this.cseq;
    const bytes = formatRequest(method, uri, {
      CSeq: String(cseq),
      'User-Agent': this.options.userAgent,
      ...headers,
    });
    return new Promise((resolve, reject) => {
      const description = `${method} ${uri}`;
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        const error = new RtspError(
          'timeout',
          `no reply to ${description} within ${this.options.responseTimeoutMs} ms`,
        );
        reject(error);
        this.fail(error); // the connection is out of step; start over
      }, this.options.responseTimeoutMs);
      this.pending.set(cseq, { cseq, description, resolve, reject, timer });
      this.socket!.write(bytes);
    });
  }

  /** Sends RTCP (or anything) on an interleaved channel; dropped when the socket is backed up. */
  sendInterleaved(channel: number, payload: Buffer): void {
    const socket = this.socket;
    if (socket === undefined || this.closedWith !== undefined || socket.writableLength > 64 * 1024) return;
    const header = Buffer.of(0x24, channel, payload.length >> 8, payload.length & 0xff);
    socket.write(Buffer.concat([header, payload]));
  }

  /** Closes the socket; pending requests fail; onClose gets undefined. Idempotent. */
  close(): void {
    this.fail(undefined);
  }

  private onData(chunk: Buffer): void {
    if (this.closedWith !== undefined) return;
    try {
      for (const input of this.parser.push(chunk)) {
        if (this.closedWith !== undefined) return;
        if (input.kind === 'interleaved') this.events.onInterleaved(input.channel, input.payload);
        else if (input.kind === 'request') this.answerServerRequest(input.cseq);
        else this.settle(input.response);
      }
    } catch (error) {
      this.fail(
        error instanceof RtspError ? error : new RtspError('protocol', String(error), { cause: error }),
      );
    }
  }

  private settle(response: RtspResponse): void {
    const cseq = Number(response.headers.get('cseq')?.[0]);
    // Some cameras omit CSeq: the oldest request is the one answered (replies come in order).
    const pending = this.pending.get(cseq) ?? this.pending.values().next().value;
    if (pending === undefined) return; // a late reply to a request that timed out
    this.pending.delete(pending.cseq);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  /** A server's own request (keepalive probes, ANNOUNCE): 200 with nothing, so it does not hang. */
  private answerServerRequest(cseq: string | undefined): void {
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) return;
    this.socket?.write(Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n\r\n`, 'latin1'));
  }

  private fail(error: RtspError | undefined): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { error };
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error ?? new RtspError('network', `${pending.description}: the connection was closed`));
    }
    this.pending.clear();
    this.socket?.destroy();
    this.events.onClose(error);
  }
}
