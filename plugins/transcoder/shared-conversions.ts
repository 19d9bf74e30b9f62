/**
 * The transcoder as the bus's provider of converted streams for players (`converted:opus:NAME`,
 * `converted:aac:NAME`): a demand of such a name demands NAME (which may itself be pulled by another
 * provider), starts one SharedConversion, and every later demand gets the same stream. A converted
 * stream nobody subscribes to for `idleMs` is ended and its ffmpeg stopped, as ingest-rtsp releases a
 * camera pulled on demand.
 */
import type { Gauge } from 'prom-client';
import {
  SpoolError,
  redactCredentials,
  type Logger,
  type Stream,
  type StreamBus,
  type StreamProvider,
} from '../../core/index.js';
import type { AudioTranscoderFactory } from '../../lib/transcode/audio-transcoder.js';
import { parseConvertedStreamName } from './api.js';
import { SharedConversion } from './shared-conversion.js';

/** The idle check runs at least this often (and twice per idle period when that is shorter). */
const IDLE_CHECK_MS = 1000;

export interface SharedConversionsOptions {
  /** The plugin's name: the provider's and the source subscriptions' name. */
  readonly name: string;
  readonly bus: StreamBus;
  readonly factory: AudioTranscoderFactory;
  readonly log: Logger;
  /** A converted stream without subscribers for this long is ended. */
  readonly idleMs: number;
  /** Running conversions, by output codec. */
  readonly gauge: Gauge<'to'>;
}

export class SharedConversions {
  private readonly running = new Map<string, SharedConversion>();
  /** Running conversions without subscribers, and since when. */
  private readonly idleSince = new Map<SharedConversion, number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: SharedConversionsOptions) {}

  start(): void {
    const periodMs = Math.min(IDLE_CHECK_MS, Math.max(50, this.options.idleMs / 2));
    this.idleTimer = setInterval(() => this.releaseIdle(), periodMs).unref();
  }

  /** Ends every converted stream (the plugin stops). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.idleTimer);
    const conversions = [...this.running.values()];
    this.running.clear();
    this.idleSince.clear();
    await Promise.all(conversions.map((c) => c.stop('the transcoder plugin stops')));
  }

  /** How many converted streams run (tests, status). */
  get size(): number {
    return this.running.size;
  }

  provider(): StreamProvider {
    return {
      name: this.options.name,
      accepts: (name) => parseConvertedStreamName(name) !== undefined,
      // A source pulled by URI (rtsp://user:pass@…) is published without its credentials; so is this.
      streamName: (name) => redactCredentials(name),
      pull: (name, { timeoutMs }) => this.pull(name, timeoutMs),
    };
  }

  private async pull(name: string, timeoutMs: number): Promise<Stream> {
    const parsed = parseConvertedStreamName(name);
    if (parsed === undefined)
      throw new SpoolError('SPOOL_ERR_NOT_FOUND', `"${name}" is not a converted stream`);
    if (this.stopping) throw new Error('the transcoder is stopping');
    const streamName = redactCredentials(name);
    const existing = this.running.get(streamName);
    if (existing !== undefined && !existing.stream.ended) return existing.stream;
    const source = await this.options.bus.demand(parsed.source, { timeoutMs });
    if (this.stopping) throw new Error('the transcoder is stopping');
    const { gauge } = this.options;
    const conversion = await SharedConversion.open({
      bus: this.options.bus,
      source,
      name: streamName,
      to: parsed.codec,
      factory: this.options.factory,
      subscriber: this.options.name,
      log: this.options.log,
      onConverting: (delta) =>
        delta > 0 ? gauge.inc({ to: parsed.codec }) : gauge.dec({ to: parsed.codec }),
    });
    if (this.stopping) {
      // The plugin stopped while this one opened: nobody would release it.
      await conversion.stop('the transcoder plugin stops');
      throw new Error('the transcoder is stopping');
    }
    this.running.set(conversion.stream.name, conversion);
    void conversion.ended.then(() => {
      if (this.running.get(conversion.stream.name) === conversion)
        this.running.delete(conversion.stream.name);
      this.idleSince.delete(conversion);
    });
    return conversion.stream;
  }

  /** Ends converted streams nobody has subscribed to for idleMs (their ffmpeg stops with them). */
  private releaseIdle(): void {
    const now = Date.now();
    for (const conversion of this.running.values()) {
      const { stream } = conversion;
      if (stream.subscriberCount > 0 && !stream.ended) {
        this.idleSince.delete(conversion);
        continue;
      }
      const since = this.idleSince.get(conversion) ?? now;
      this.idleSince.set(conversion, since);
      if (now - since < this.options.idleMs && !stream.ended) continue;
      this.running.delete(stream.name);
      this.idleSince.delete(conversion);
      this.options.log.info(
        { stream: stream.name },
        `"${stream.name}": released, nobody watched it for ${now - since} ms`,
      );
      void conversion.stop(`nobody watched it for ${now - since} ms`);
    }
  }
}
