/**
 * node-media-server 4.4.3 embedded as an RTMP protocol engine. NMS does the handshake, chunking and
 * AMF; Spool decides every publish and every play, takes every media packet and writes every media
 * message a player gets. Each patch below says which 4.4.3 behaviour it works around (measured;
 * see docs/recording.md).
 *
 * NMS keeps module-global state (config, sessions, its logger), so one RtmpServer runs per process
 * at a time. Its publish path is not used at all: a publish Spool accepts is answered here and
 * never registered with NMS's broadcasts, so no NMS grace window, GOP cache or stale state is
 * left behind. Its play path is not used either: a play command goes to the play handler (the
 * play-rtmp plugin) with a PlayConnection that writes RTMP messages with NMS's chunk builder.
 * NMS's own play (BroadcastServer) writes every message to every player's socket without looking
 * at what is still buffered, and keeps up to 4096 messages of GOP per stream in memory; a player
 * that stops reading would grow the process without bound.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo, Server, Socket } from 'node:net';
import { SpoolError } from '../../core/index.js';
import type { RtmpPlayConnection, RtmpPlayRequest } from './api.js';
import { PlayConnection, type RtmpMessageWire } from './play-connection.js';

const require = createRequire(import.meta.url);
const NMS_VERSION = '4.4.3';

// --- the few NMS internals Spool touches (NMS ships no types) ---
interface AvPacket {
  codec_type: number;
  dts: number;
  size: number;
  data: Buffer;
}
interface InvokeMessage {
  streamName?: unknown;
}
interface RtmpProtocol {
  streamApp?: unknown;
  streamName?: string;
  streamId?: number;
  connectCmdObj?: { tcUrl?: unknown };
  parserPacket: { header: { stream_id: number; length: number } };
  inPackets: Map<number, { capacity: number }>;
  onPacketCallback: (packet: AvPacket) => void;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
  sendStreamStatus(event: number, streamId: number): void;
  sendRtmpSampleAccess(streamId: number): void;
  respondPublish(): void;
  /** Set by Spool: the connection failed or was refused; ignore whatever else it sends. */
  spoolDead?: string;
  /** Set by Spool: the connection publishes or plays (one stream per connection). */
  spoolBusy?: 'publishing' | 'playing';
}
interface RtmpChunkPacket {
  header: { fmt: number; cid: number; timestamp: number; length: number; type: number; stream_id: number };
  payload: Buffer;
}
type RtmpMethods = {
  parserData(this: RtmpProtocol, buffer: Buffer): string | null;
  onPublish(this: RtmpProtocol, message: InvokeMessage): void;
  onPlay(this: RtmpProtocol, message: InvokeMessage): void;
  packetAlloc(this: RtmpProtocol): void;
};
interface NmsSession {
  rtmp?: RtmpProtocol;
  socket: Socket;
  streamApp?: string;
  streamName?: string;
  streamPath?: string;
}
interface NmsContext {
  config: Record<string, unknown>;
  sessions: Map<string, NmsSession>;
  broadcasts: Map<string, unknown>;
}
interface NmsInstance {
  rtmpServer: {
    tcpServer: Server;
    handleListenError: (name: string, port: number) => (error: NodeJS.ErrnoException) => void;
    run(): void;
  };
  stop(): Promise<void>;
}
type NmsConstructor = new (config: Record<string, unknown>) => NmsInstance;

const nmsVersion = (require('node-media-server/package.json') as { version: string }).version;
if (nmsVersion !== NMS_VERSION) {
  throw new Error(
    `node-media-server ${nmsVersion} is installed; ingest-rtmp is written against ${NMS_VERSION}`,
  );
}
const NodeMediaServer = require('node-media-server') as NmsConstructor;
const nmsLogger = require('node-media-server/src/core/logger.js') as {
  log: (message: unknown, level?: string) => void;
};
const Context = require('node-media-server/src/core/context.js') as NmsContext;
const Rtmp = require('node-media-server/src/protocol/rtmp.js') as {
  prototype: RtmpMethods;
  chunksCreate(packet: RtmpChunkPacket): Buffer;
};

// --- what Spool's side looks like ---
export interface RtmpPublishRequest {
  readonly app: string;
  /** The stream name without its query. */
  readonly name: string;
  /** The query exactly as the publisher sent it after `?`. */
  readonly rawQuery: string;
  readonly query: URLSearchParams;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly tcUrl: string;
}

export interface RtmpConnection {
  /** Tells the publisher why (an onStatus error), then ends the connection. */
  close(description: string): void;
}

export interface RtmpPublishHandler {
  /** One FLV tag body; `body` is NMS's reused parser buffer, valid only during the call. */
  onPacket(type: number, timeMs: number, body: Buffer, size: number): void;
  /** The connection closed, for whatever reason. */
  onClose(): void;
}

export interface RtmpRefusal {
  readonly refuse: string;
}

export type { RtmpPlayConnection, RtmpPlayRequest };

export type NmsLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface RtmpServerOptions {
  readonly host: string;
  /** 0 = any free port (see `port` once started). */
  readonly port: number;
  /** Connections silent this long are closed (NMS has no timeout of its own); 0 = never. */
  readonly idleTimeoutMs: number;
  readonly log: (level: NmsLogLevel, message: string) => void;
  /** Synchronous, before NMS answers NetStream.Publish.Start: accept with a handler, or refuse. */
  readonly onPublish: (
    request: RtmpPublishRequest,
    connection: RtmpConnection,
  ) => RtmpPublishHandler | RtmpRefusal;
  /** Synchronous: take the player (the handler answers through the connection later), or refuse. */
  readonly onPlay: (request: RtmpPlayRequest, connection: RtmpPlayConnection) => RtmpRefusal | undefined;
}

/** Messages of up to 16 MiB are legal; a client announcing many of them is not. */
const MAX_BUFFERED_BYTES_PER_CONNECTION = 64 * 1024 * 1024;
const CLOSE_GRACE_MS = 2000;

let current: RtmpServer | null = null;

// Patch 1: NMS logs through a singleton to console.log (and forces debug level); route it to Spool.
nmsLogger.log = (message: unknown, level = 'info') =>
  current?.options.log(level as NmsLogLevel, `node-media-server: ${String(message)}`);

// Patch 2: a throw under a socket 'data' handler would kill the process (a connect without tcUrl
// does: `new URL(undefined)`). Turn it into a parser error: NMS then ends that one socket.
// Whatever a connection sends once it failed or was refused is ignored while it closes.
const parserData = Rtmp.prototype.parserData;
Rtmp.prototype.parserData = function patchedParserData(buffer) {
  if (this.spoolDead !== undefined) return null;
  try {
    return parserData.call(this, buffer);
  } catch (error) {
    this.spoolDead = `protocol error: ${(error as Error)?.message ?? String(error)}`;
    return this.spoolDead;
  }
};

// Patch 3: bound what a client can make NMS allocate (one buffer per chunk stream, up to 16 MiB each).
const packetAlloc = Rtmp.prototype.packetAlloc;
Rtmp.prototype.packetAlloc = function patchedPacketAlloc() {
  let buffered = this.parserPacket.header.length;
  for (const packet of this.inPackets.values()) buffered += packet.capacity;
  if (buffered > MAX_BUFFERED_BYTES_PER_CONNECTION) {
    throw new Error(`client needs ${buffered} bytes of buffers`);
  }
  packetAlloc.call(this);
};

// Patch 4: decide a publish before NetStream.Publish.Start, and answer refusals with an error status.
const onPublish = Rtmp.prototype.onPublish;
Rtmp.prototype.onPublish = function patchedOnPublish(message) {
  const server = current;
  if (server === null) return onPublish.call(this, message);
  server.handlePublish(this, message);
};

// Patch 5: the ingest port would serve RTMP play of anything published to anyone, from NMS's
// broadcasts (unbounded per player, see the header). Spool's play handler decides and serves.
const onPlay = Rtmp.prototype.onPlay;
Rtmp.prototype.onPlay = function patchedOnPlay(message) {
  const server = current;
  if (server === null) return onPlay.call(this, message);
  server.handlePlay(this, message);
};

/** The RTMP listener. `start` rejects (never exits the process) when the port is taken. */
export class RtmpServer {
  private nms: NmsInstance | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly options: RtmpServerOptions) {}

  /** The port it listens on; 0 when not listening. */
  get port(): number {
    return (this.nms?.rtmpServer.tcpServer.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<number> {
    if (current !== null) {
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_START',
        'an RTMP server already runs in this process (node-media-server keeps global state)',
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the patched prototypes reach it here
    current = this;
    const { host, port } = this.options;
    // NMS creates its listener only for a truthy rtmp.port; 0 is swapped in before listening.
    // No store section matters: the store is never opened (NMS's run() is not called), so no
    // files, no signal handlers, no relay tasks restored, no history.
    const config = { bind: host, rtmp: { port: port || 1 } };
    const nms = new NodeMediaServer(config);
    config.rtmp.port = port;
    this.nms = nms;
    const tcp = nms.rtmpServer.tcpServer;
    const listening = new Promise<void>((resolve, reject) => {
      // NMS would call process.exit(1) on a listen error; it fetches this handler in run().
      nms.rtmpServer.handleListenError = () => (error) => {
        if (!tcp.listening) reject(error);
        else this.options.log('error', `RTMP listener error: ${error.message}`);
      };
      tcp.once('listening', resolve);
    });
    tcp.on('connection', (socket: Socket) => this.track(socket));
    nms.rtmpServer.run();
    try {
      await listening;
    } catch (error) {
      await this.stop();
      const code = (error as NodeJS.ErrnoException).code;
      throw new SpoolError(
        'SPOOL_ERR_PLUGIN_START',
        code === 'EADDRINUSE'
          ? `RTMP port ${host}:${port} is already in use (set ingest-rtmp.port)`
          : `RTMP cannot listen on ${host}:${port}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return this.port;
  }

  /** Closes the listener and every connection; resolves once all of them are closed. */
  async stop(): Promise<void> {
    const nms = this.nms;
    if (nms === undefined) return;
    const tcp = nms.rtmpServer.tcpServer;
    const closes = [...this.sockets].map((socket) => (socket.closed ? undefined : once(socket, 'close')));
    if (tcp.listening) closes.push(once(tcp, 'close'));
    await nms.stop(); // closes the listener and destroys every socket
    await Promise.all(closes);
    this.nms = undefined;
    // Sessions deregister on close; clear anything a future NMS version might leave behind.
    Context.sessions.clear();
    Context.broadcasts.clear();
    if (current === this) current = null;
  }

  /** @internal called from the onPublish patch, synchronously inside the socket's data handler. */
  handlePublish(rtmp: RtmpProtocol, message: InvokeMessage): void {
    const session = findSession(rtmp);
    if (session === undefined) return this.refuse(rtmp, 'NetStream.Publish.Failed', 'unknown session');
    if (rtmp.spoolBusy !== undefined) {
      return this.refuse(rtmp, 'NetStream.Publish.BadName', `this connection already ${rtmp.spoolBusy}`);
    }
    const request: RtmpPublishRequest = requestOf(rtmp, session, message);
    const streamId = rtmp.parserPacket.header.stream_id;
    const connection: RtmpConnection = {
      close: (description) => this.refuse(rtmp, 'NetStream.Publish.Rejected', description, streamId),
    };
    const decision = this.options.onPublish(request, connection);
    if ('refuse' in decision) return this.refuse(rtmp, 'NetStream.Publish.BadName', decision.refuse);

    rtmp.spoolBusy = 'publishing';
    rtmp.streamName = request.name;
    rtmp.streamId = streamId;
    rtmp.respondPublish();
    // For NMS's own log lines only; the session is never registered as a publisher.
    session.streamApp = request.app;
    session.streamName = request.name;
    session.streamPath = `/${request.app}/${request.name}`;
    rtmp.onPacketCallback = (packet) =>
      decision.onPacket(packet.codec_type, packet.dts, packet.data, packet.size);
    session.socket.once('close', () => decision.onClose());
  }

  /** @internal called from the onPlay patch, synchronously inside the socket's data handler. */
  handlePlay(rtmp: RtmpProtocol, message: InvokeMessage): void {
    const session = findSession(rtmp);
    if (session === undefined) return this.refuse(rtmp, 'NetStream.Play.Failed', 'unknown session');
    if (rtmp.spoolBusy !== undefined) {
      return this.refuse(rtmp, 'NetStream.Play.Failed', `this connection already ${rtmp.spoolBusy}`);
    }
    const request = requestOf(rtmp, session, message);
    const streamId = rtmp.parserPacket.header.stream_id;
    rtmp.spoolBusy = 'playing';
    rtmp.streamName = request.name;
    rtmp.streamId = streamId;
    session.streamApp = request.app;
    session.streamName = request.name;
    session.streamPath = `/${request.app}/${request.name}`;
    const wire: RtmpMessageWire = {
      socket: session.socket,
      status: (level, code, description) => rtmp.sendStatusMessage(streamId, level, code, description),
      userControl: (event) => rtmp.sendStreamStatus(event, streamId),
      sampleAccess: () => rtmp.sendRtmpSampleAccess(streamId),
      message: (chunkStreamId, type, timestampMs, body) =>
        Rtmp.chunksCreate({
          header: {
            fmt: 0,
            cid: chunkStreamId,
            timestamp: timestampMs,
            length: body.length,
            type,
            stream_id: streamId,
          },
          payload: body,
        }),
      end: (description) => this.closeGracefully(rtmp, session.socket, description),
    };
    const refusal = this.options.onPlay(request, new PlayConnection(wire));
    if (refusal !== undefined) this.refuse(rtmp, 'NetStream.Play.Failed', refusal.refuse, streamId);
  }

  /** @internal Sends an onStatus error (ffmpeg prints "Server error: …") and ends the connection. */
  refuse(rtmp: RtmpProtocol, code: string, description: string, streamId?: number): void {
    const session = findSession(rtmp);
    if (rtmp.spoolDead !== undefined || session === undefined) return;
    rtmp.spoolDead = `closed: ${description}`;
    rtmp.sendStatusMessage(streamId ?? rtmp.parserPacket.header.stream_id, 'error', code, description);
    this.closeGracefully(rtmp, session.socket, description);
  }

  /** Ends the connection once what is written has gone out; cut if the client does not close in time. */
  private closeGracefully(rtmp: RtmpProtocol, socket: Socket, description: string): void {
    rtmp.spoolDead ??= `closed: ${description}`;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.options.idleTimeoutMs > 0) {
      socket.setTimeout(this.options.idleTimeoutMs, () => {
        this.options.log(
          'warn',
          `RTMP connection from ${socket.remoteAddress} idle for ${this.options.idleTimeoutMs} ms, closed`,
        );
        socket.destroy();
      });
    }
  }
}

/** The app, name and query of a publish or play command: the name is split at its first `?`. */
function requestOf(rtmp: RtmpProtocol, session: NmsSession, message: InvokeMessage): RtmpPublishRequest {
  const raw = typeof message.streamName === 'string' ? message.streamName : '';
  const mark = raw.indexOf('?');
  const rawQuery = mark < 0 ? '' : raw.slice(mark + 1);
  return {
    app: typeof rtmp.streamApp === 'string' ? rtmp.streamApp : '',
    name: mark < 0 ? raw : raw.slice(0, mark),
    rawQuery,
    query: new URLSearchParams(rawQuery),
    remoteAddress: session.socket.remoteAddress ?? '',
    remotePort: session.socket.remotePort ?? 0,
    tcUrl: typeof rtmp.connectCmdObj?.tcUrl === 'string' ? rtmp.connectCmdObj.tcUrl : '',
  };
}

function findSession(rtmp: RtmpProtocol): NmsSession | undefined {
  for (const session of Context.sessions.values()) if (session.rtmp === rtmp) return session;
  return undefined;
}
