import type { PluginContext } from '../../core/index.js';
import { errorMessage, redactCredentials, validateStreamName } from '../../core/index.js';
import type { RtmpIngest, RtmpPlayHandler, RtmpPlayService } from './api.js';
import { parseFlvTag } from '../../lib/flv/index.js';
import {
  RtmpServer,
  type NmsLogLevel,
  type RtmpConnection,
  type RtmpPlayConnection,
  type RtmpPlayRequest,
  type RtmpPublishHandler,
  type RtmpPublishRequest,
  type RtmpRefusal,
} from './nms.js';
import { Publisher } from './publisher.js';

export interface IngestRtmpConfig {
  port: number;
  host: string;
  app: string;
  idleTimeoutMs: number;
  trackWaitMs: number;
  maxPendingPackets: number;
}

/** The RTMP listener and its publishers: decides each publish, and ends them all at stop. */
export class RtmpIngestService implements RtmpIngest, RtmpPlayService {
  private server: RtmpServer | undefined;
  private playHandler: RtmpPlayHandler | undefined;
  /** Accepted publishers by stream name, from the publish command until their connection closes. */
  private readonly byName = new Map<string, Publisher>();
  private stopping = false;

  constructor(private readonly ctx: PluginContext<IngestRtmpConfig>) {}

  get port(): number {
    return this.server?.port ?? 0;
  }

  get host(): string {
    return this.ctx.config.host;
  }

  get app(): string {
    return this.ctx.config.app;
  }

  get publishers(): number {
    return this.byName.size;
  }

  async start(): Promise<void> {
    const { host, port, idleTimeoutMs, app } = this.ctx.config;
    const server = new RtmpServer({
      host,
      port,
      idleTimeoutMs,
      log: (level, message) => this.nmsLog(level, message),
      onPublish: (request, connection) => this.onPublish(request, connection),
      onPlay: (request, connection) => this.onPlay(request, connection),
    });
    this.server = server; // so that stop() closes it even if start-up gives up waiting
    try {
      await server.start();
    } catch (error) {
      this.server = undefined;
      throw error;
    }
    this.ctx.log.info(
      { port: server.port, host },
      `RTMP ingest listening on ${host}:${server.port}; publish to rtmp://HOST:${server.port}/${app || 'APP'}/STREAM`,
    );
  }

  /** Ends every publisher's stream ('server stopped') and closes the listener and connections. */
  async stop(): Promise<void> {
    this.stopping = true;
    const ended = [...this.byName.values()].map((publisher) => publisher.disconnected('server stopped'));
    await this.server?.stop();
    this.server = undefined;
    await Promise.all(ended);
  }

  setPlayHandler(handler: RtmpPlayHandler): () => void {
    if (this.playHandler !== undefined) {
      throw new Error('an RTMP play handler is already set (one play plugin at a time)');
    }
    this.playHandler = handler;
    return () => {
      if (this.playHandler === handler) this.playHandler = undefined;
    };
  }

  /** The app is checked here, as for publishes; what to play is the play handler's decision. */
  private onPlay(request: RtmpPlayRequest, connection: RtmpPlayConnection): RtmpRefusal | undefined {
    const from = `${request.remoteAddress}:${request.remotePort}`;
    const handler = this.playHandler;
    const refusal =
      handler === undefined
        ? 'RTMP playback is not served on this port (the play-rtmp plugin is not enabled)'
        : this.stopping
          ? 'the server is stopping'
          : this.wrongApp(request.app);
    if (refusal !== undefined) {
      this.ctx.log.info(
        { stream: shownPlayName(request.name), app: request.app, remote: from },
        `RTMP play refused: ${refusal}`,
      );
      return { refuse: refusal };
    }
    handler!(request, connection);
    return undefined;
  }

  private onPublish(
    request: RtmpPublishRequest,
    connection: RtmpConnection,
  ): RtmpPublishHandler | RtmpRefusal {
    const { name } = request;
    const from = `${request.remoteAddress}:${request.remotePort}`;
    const refusal = this.refusalFor(request);
    if (refusal !== undefined) {
      this.ctx.log.warn({ stream: name, app: request.app, remote: from }, `RTMP publish refused: ${refusal}`);
      return { refuse: refusal };
    }
    const query = firstValues(request.query);
    const publisher = new Publisher(
      {
        name,
        login: query.login ?? '',
        record: query.record === 'true',
        query,
        remoteAddress: request.remoteAddress,
      },
      {
        bus: this.ctx.bus,
        log: this.ctx.log,
        options: this.ctx.config,
        closeConnection: (reason) => connection.close(reason),
      },
    );
    this.byName.set(name, publisher);
    this.ctx.log.info({ stream: name, remote: from }, `RTMP publish of "${name}" from ${from}`);
    return {
      onPacket: (type, timeMs, body, size) => publisher.onPacket(parseFlvTag(type, timeMs, body, size)),
      onClose: () => {
        if (this.byName.get(name) === publisher) this.byName.delete(name);
        const reason = this.stopping ? 'server stopped' : 'publisher disconnected';
        this.ctx.log.info({ stream: name, remote: from }, `RTMP publisher of "${name}" gone: ${reason}`);
        publisher.disconnected(reason).catch((error: unknown) => this.ctx.reportError('unpublish', error));
      },
    };
  }

  /** Checked before NetStream.Publish.Start, so a refused publisher sends no media at all. */
  private refusalFor(request: RtmpPublishRequest): string | undefined {
    const wrongApp = this.wrongApp(request.app);
    if (wrongApp !== undefined) return wrongApp;
    if (this.stopping) return 'the server is stopping';
    try {
      validateStreamName(request.name);
    } catch (error) {
      return errorMessage(error);
    }
    if (this.byName.has(request.name) || this.ctx.bus.find(request.name) !== undefined) {
      return `stream "${request.name}" is already published`;
    }
    return undefined;
  }

  private wrongApp(requested: string): string | undefined {
    const app = requested.split('?')[0]!.replace(/\/+$/, '');
    const expected = this.ctx.config.app;
    if (expected === '' || app === expected) return undefined;
    return `unknown application "${requested}"; use rtmp://HOST:${this.port}/${expected}/STREAM`;
  }

  /** node-media-server's own lines: its errors are about clients (bad packets), the rest is detail. */
  private nmsLog(level: NmsLogLevel, message: string): void {
    if (level === 'error' || level === 'warn') this.ctx.log.warn(message);
    else this.ctx.log.debug(message);
  }
}

/** Query parameters as a record; a repeated key keeps its first value, as URLSearchParams.get does. */
function firstValues(params: URLSearchParams): Record<string, string> {
  const first = new Map<string, string>();
  for (const [key, value] of params) if (!first.has(key)) first.set(key, value);
  return Object.fromEntries(first);
}

/** A played name for the log: it may be a URL-encoded rtsp:// URI with credentials. */
function shownPlayName(sent: string): string {
  try {
    return redactCredentials(decodeURIComponent(sent));
  } catch {
    return redactCredentials(sent);
  }
}
