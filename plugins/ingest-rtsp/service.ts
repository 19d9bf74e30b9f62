import type { PluginContext, Stream, StreamProvider } from '../../core/index.js';
import { SpoolError, errorMessage, validateStreamName } from '../../core/index.js';
import type { CaptureView, RtspIngest } from './api.js';
import { RtspCapture } from './capture.js';
import type { IngestRtspConfig } from './config.js';
import { parseRtspUri, stripCredentials, type RtspTarget } from './rtsp-url.js';

const IDLE_CHECK_MS = 5000;
const DEFAULT_ENSURE_TIMEOUT_MS = 30_000;

/** Every pulled camera by its URI (without credentials): REST startup/terminate, capture on demand. */
export class RtspIngestService implements RtspIngest {
  private readonly captures = new Map<string, RtspCapture>();
  /** On-demand captures without subscribers, and since when. */
  private readonly idleSince = new Map<RtspCapture, number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly ctx: PluginContext<IngestRtspConfig>) {}

  start(): void {
    const periodMs = Math.min(IDLE_CHECK_MS, Math.max(100, this.ctx.config.onDemandIdleMs / 2));
    this.idleTimer = setInterval(() => this.releaseIdle(), periodMs).unref();
  }

  /** TEARDOWN of every camera; their streams end. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.idleTimer);
    const captures = [...this.captures.values()];
    this.captures.clear();
    await Promise.all(captures.map((capture) => capture.stop()));
  }

  startup(uri: string, toStream?: string): void {
    this.begin(uri, toStream, false);
  }

  async terminate(uri: string): Promise<void> {
    const key = stripCredentials(uri);
    const capture = this.captures.get(key) ?? this.captures.get(targetOf(uri).url);
    if (capture === undefined) throw new SpoolError('SPOOL_ERR_NOT_FOUND', `${key} is not being pulled`);
    this.captures.delete(capture.url);
    this.idleSince.delete(capture);
    this.ctx.log.info({ uri: capture.url, stream: capture.streamName }, `RTSP ${capture.url}: terminating`);
    await capture.stop();
  }

  list(): CaptureView[] {
    return [...this.captures.values()].map((capture) => ({
      uri: capture.url,
      toStream: capture.streamName,
      status: capture.status,
      ...(capture.info === undefined ? {} : { info: capture.info }),
      onDemand: capture.onDemand,
    }));
  }

  async ensure(uri: string, options: { timeoutMs?: number } = {}): Promise<Stream> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_ENSURE_TIMEOUT_MS;
    const existing = this.captures.get(targetOf(uri).url);
    const capture =
      existing !== undefined && isActive(existing) ? existing : this.begin(uri, undefined, true);
    return capture.waitForStream(timeoutMs);
  }

  isRtspName(name: string): boolean {
    return /^rtsp:\/\//i.test(name);
  }

  /**
   * This ingest as the bus's provider of streams named rtsp://… (capture on demand): `bus.demand`
   * of such a name pulls the camera with `ensure`. The stream is named after the URI without
   * credentials, so a demand with credentials finds the stream that is already pulled.
   */
  provider(): StreamProvider {
    return {
      name: this.ctx.name,
      accepts: (name) => this.isRtspName(name),
      streamName: (name) => stripCredentials(name),
      pull: (name, { timeoutMs }) => this.ensure(name, { timeoutMs }),
    };
  }

  private begin(uri: string, toStream: string | undefined, onDemand: boolean): RtspCapture {
    if (this.stopping) throw new SpoolError('SPOOL_ERR_STREAM_ENDED', 'the RTSP ingest is stopping');
    const target = targetOf(uri);
    const name = toStream ?? target.url;
    validateStreamName(name);
    const existing = this.captures.get(target.url);
    if (existing !== undefined && isActive(existing)) {
      throw new SpoolError(
        'SPOOL_ERR_STREAM_NAME_IN_USE',
        `${target.url} is already pulled as "${existing.streamName}"`,
      );
    }
    const sameName = [...this.captures.values()].find((c) => c.streamName === name && isActive(c));
    if (sameName !== undefined || this.ctx.bus.find(name) !== undefined) {
      throw new SpoolError('SPOOL_ERR_STREAM_NAME_IN_USE', `stream name "${name}" is already in use`);
    }
    if (existing !== undefined) this.captures.delete(existing.url); // FAILED or STOPPED: replaced
    const capture = new RtspCapture(uri, target.url, name, onDemand, {
      bus: this.ctx.bus,
      log: this.ctx.log,
      config: this.ctx.config,
    });
    this.captures.set(target.url, capture);
    this.ctx.log.info(
      { uri: target.url, stream: name, onDemand },
      `RTSP ${target.url}: pulling as "${name}"${onDemand ? ' (on demand)' : ''}`,
    );
    capture.start();
    return capture;
  }

  /**
   * Releases on-demand captures nobody has watched or recorded for onDemandIdleMs. A capture
   * someone waits for (ensure, until its timeout) is in use. One without a stream and without
   * waiters (the camera is down) counts as unused, so a camera that is gone for good is not
   * retried forever on behalf of nobody.
   */
  private releaseIdle(): void {
    const now = Date.now();
    for (const capture of this.captures.values()) {
      if (!capture.onDemand) continue;
      if ((capture.stream?.subscriberCount ?? 0) > 0 || capture.awaited) {
        this.idleSince.delete(capture);
        continue;
      }
      const since = this.idleSince.get(capture) ?? now;
      this.idleSince.set(capture, since);
      if (now - since >= this.ctx.config.onDemandIdleMs) {
        this.ctx.log.info(
          { uri: capture.url },
          `RTSP ${capture.url}: released, nobody used it for ${now - since} ms`,
        );
        this.terminate(capture.url).catch((error: unknown) =>
          this.ctx.reportError('release idle capture', error),
        );
      }
    }
  }
}

function isActive(capture: RtspCapture): boolean {
  return capture.status !== 'FAILED' && capture.status !== 'STOPPED';
}

/** The URI's parts; a URI the client cannot use is a 400. */
function targetOf(uri: string): RtspTarget {
  try {
    return parseRtspUri(uri);
  } catch (error) {
    throw new SpoolError('SPOOL_ERR_BAD_REQUEST', errorMessage(error));
  }
}
