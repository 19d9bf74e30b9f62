import type { Logger, Stream, StreamBus } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import type { CaptureStatus } from './api.js';
import type { IngestRtspConfig } from './config.js';
import { DropCounter } from './drop-counter.js';
import { RtspPublisher } from './publisher.js';
import { RtspError } from './rtsp-error.js';
import { DEFAULT_LIMITS } from './rtsp-message.js';
import { RtspSession, type SessionOptions } from './rtsp-session.js';
import { StreamClock } from './stream-clock.js';
import { planTracks } from './track-plan.js';

export interface CaptureDeps {
  readonly bus: Pick<StreamBus, 'publish'>;
  readonly log: Logger;
  readonly config: Readonly<IngestRtspConfig>;
}

/** A session that stayed up this long was not a flapping camera: the backoff starts over. */
const STABLE_SESSION_MS = 10_000;
const WATCHDOG_PERIOD_MS = 500;
const USER_AGENT = 'Spool RTSP ingest';
const RECEIVER_REPORT_MS = 5000;

type StreamWaiter = { resolve(stream: Stream): void; reject(error: Error): void };

/**
 * One pulled camera: connects, publishes its stream, and when the session fails (connection lost,
 * no media for mediaTimeoutMs, garbage) ends the stream — which closes its recording — and tries
 * again after a delay that doubles up to reconnectMaxMs. A refused login or publish is final:
 * status FAILED, nothing retried until the capture is started again.
 */
export class RtspCapture {
  status: CaptureStatus = 'CONNECTING';
  /** Why the last session ended, when it did. */
  info: string | undefined;
  private publisher: RtspPublisher | undefined;
  private stopped = false;
  private interrupt: ((error: RtspError | undefined) => void) | undefined;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private waiters: StreamWaiter[] = [];

  constructor(
    /** The URI as given, with credentials. */
    private readonly uri: string,
    /** The URI without credentials: the capture's key, and what logs and the REST API show. */
    readonly url: string,
    readonly streamName: string,
    /** Pulled because someone asked for a stream named rtsp://… (released when idle). */
    readonly onDemand: boolean,
    private readonly deps: CaptureDeps,
  ) {}

  get stream(): Stream | undefined {
    const stream = this.publisher?.stream;
    return stream === undefined || stream.ended ? undefined : stream;
  }

  /** Whether someone waits for the stream (waitForStream): the capture is then in use. */
  get awaited(): boolean {
    return this.waiters.length > 0;
  }

  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.status = 'FAILED';
      this.info = `internal error: ${errorMessage(error)}`;
      this.deps.log.error({ err: error, uri: this.url }, `RTSP capture of ${this.url} failed`);
      this.rejectWaiters(new Error(this.info));
    });
  }

  /** TEARDOWN, end the stream (its recording closes), no more reconnects. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.status = 'STOPPED';
    this.interrupt?.(undefined);
    this.wake?.();
    await this.running;
    this.rejectWaiters(new Error(`the capture of ${this.url} was stopped`));
  }

  /** Resolves with the stream once it is on the bus; rejects when the capture fails or stops first. */
  waitForStream(timeoutMs: number): Promise<Stream> {
    if (this.stream !== undefined) return Promise.resolve(this.stream);
    if (this.status === 'FAILED' || this.status === 'STOPPED') {
      return Promise.reject(new Error(`the capture of ${this.url} is ${this.status}: ${this.info ?? ''}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(`${this.url} was not playing within ${timeoutMs} ms${this.info ? `: ${this.info}` : ''}`),
        );
      }, timeoutMs);
      const waiter: StreamWaiter = {
        resolve: (stream) => (clearTimeout(timer), resolve(stream)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.push(waiter);
    });
  }

  private async run(): Promise<void> {
    const { reconnectMinMs, reconnectMaxMs } = this.deps.config;
    for (let failures = 0; !this.stopped;) {
      const startedMs = Date.now();
      const error = await this.runSession();
      if (this.stopped) break;
      const reason = error?.message ?? 'the session ended';
      this.info = reason;
      if (error?.kind === 'unauthorized' || error?.kind === 'refused') {
        this.status = 'FAILED';
        this.deps.log.error(
          { uri: this.url, stream: this.streamName },
          `RTSP ${this.url}: ${reason}; not retrying`,
        );
        this.rejectWaiters(new Error(reason));
        return;
      }
      failures = Date.now() - startedMs >= STABLE_SESSION_MS ? 1 : failures + 1;
      const delayMs = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** (failures - 1));
      this.status = 'RECONNECTING';
      this.deps.log.warn(
        { uri: this.url, stream: this.streamName, delayMs, attempt: failures },
        `RTSP ${this.url}: ${reason}; reconnecting in ${delayMs} ms`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  /** One RTSP session from connect to its end; resolves with why it ended (undefined = stopped). */
  private async runSession(): Promise<RtspError | undefined> {
    const ended = new Promise<RtspError | undefined>((resolve) => (this.interrupt = resolve));
    const session = new RtspSession(this.uri, this.sessionOptions(), {
      onRtp: (track, packet) => this.publisher?.onRtp(track, packet),
      onRtcp: (track, packet) => this.publisher?.onRtcp(track, packet),
      onFailure: (error) => this.interrupt?.(error),
    });
    let watchdog: NodeJS.Timeout | undefined;
    let failure: RtspError | undefined;
    try {
      failure = await Promise.race([this.startSession(session).then(() => undefined, asRtspError), ended]);
      if (failure === undefined && !this.stopped) {
        this.status = 'PLAYING';
        this.info = undefined;
        this.deps.log.info(
          { uri: this.url, stream: this.streamName },
          `RTSP ${session.url}: playing as "${this.streamName}"`,
        );
        watchdog = this.watch(Date.now());
        failure = await ended;
      }
    } finally {
      clearInterval(watchdog);
      this.interrupt = undefined;
      await session.close();
      const publisher = this.publisher;
      this.publisher = undefined;
      const why = this.stopped ? 'capture stopped' : `camera session ended: ${failure?.message ?? 'closed'}`;
      await publisher?.end(why);
    }
    return failure;
  }

  /** DESCRIBE, SETUP, PLAY; the publisher is in place before PLAY so no packet is missed. */
  private async startSession(session: RtspSession): Promise<void> {
    const { config, log } = this.deps;
    const drops = new DropCounter(log, this.streamName);
    const media = await session.describe();
    const plan = planTracks(media, { maxFrameBytes: config.maxFrameBytes, drop: drops.count });
    if (plan.skipped.length > 0) {
      log.info({ uri: this.url }, `RTSP ${this.url}: not recording ${plan.skipped.join(', ')}`);
    }
    const clock = new StreamClock(plan.clockRates);
    const identity = { name: this.streamName, url: this.url };
    this.publisher = new RtspPublisher(identity, plan.readers, plan.payloadTypes, clock, {
      bus: this.deps.bus,
      log,
      options: config,
      drops,
      onFatal: (error) => this.interrupt?.(error),
      onLive: (stream) => this.resolveWaiters(stream),
    });
    await session.setup(plan.media);
    clock.setRtpInfo(await session.play(plan.media));
  }

  /** Fails the session when media stops, or when nothing publishable comes after PLAY. */
  private watch(playingSinceMs: number): NodeJS.Timeout {
    const { mediaTimeoutMs, startTimeoutMs } = this.deps.config;
    return setInterval(() => {
      const publisher = this.publisher;
      if (publisher === undefined) return;
      if (Date.now() - publisher.lastPacketMs > mediaTimeoutMs) {
        this.interrupt?.(new RtspError('timeout', `no media from the camera for ${mediaTimeoutMs} ms`));
      } else if (publisher.stream === undefined && Date.now() - playingSinceMs > startTimeoutMs) {
        const what = 'nothing publishable (H.264 SPS/PPS and a keyframe)';
        this.interrupt?.(new RtspError('timeout', `${what} within ${startTimeoutMs} ms of PLAY`));
      }
    }, WATCHDOG_PERIOD_MS);
  }

  private sessionOptions(): SessionOptions {
    const { config } = this.deps;
    return {
      ...config,
      localAddress: config.clientAddress,
      limits: DEFAULT_LIMITS,
      userAgent: USER_AGENT,
      receiverReportMs: RECEIVER_REPORT_MS,
    };
  }

  private resolveWaiters(stream: Stream): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(stream);
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

function asRtspError(error: unknown): RtspError {
  return error instanceof RtspError
    ? error
    : new RtspError('protocol', errorMessage(error), { cause: error });
}
