import type { Logger, Stream, StreamBus, Track } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import { parseRtp, senderReports } from '../../lib/rtp/rtp.js';
import { RtspError } from './rtsp-error.js';
import type { DropCounter } from './drop-counter.js';
import type { StreamClock } from './stream-clock.js';
import type { MediaUnit, TrackReader } from './track-readers.js';

export interface PublisherOptions {
  /** How long frames are held for RTCP sender reports of every track before publishing anyway. */
  readonly syncWaitMs: number;
  /** Frames held while the tracks are learned and the publish runs; the oldest go first. */
  readonly maxPendingFrames: number;
}

export interface PublisherDeps {
  readonly bus: Pick<StreamBus, 'publish'>;
  readonly log: Logger;
  readonly options: PublisherOptions;
  readonly drops: DropCounter;
  /** The publish was refused or failed: the capture gives up on this session. */
  readonly onFatal: (error: RtspError) => void;
  /** The stream is on the bus. */
  readonly onLive?: (stream: Stream) => void;
}

interface Held {
  readonly track: number;
  readonly extended: number;
  readonly unit: MediaUnit;
  readonly arrivalMs: number;
}

/**
 * One RTSP session's media → one stream on the bus (source 'rtsp'). RTP is depacketized per
 * track; frames are held (bounded) until every track has its decoder config and the tracks are
 * in sync (sender reports of every track, or syncWaitMs), then the stream is published and the
 * held frames are written in arrival order, each at its time on the common timeline.
 */
export class RtspPublisher {
  private state: 'collecting' | 'publishing' | 'live' | 'closed' = 'collecting';
  private held: Held[] = [];
  private firstFrameMs: number | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private published: Stream | undefined;
  private publishing: Promise<unknown> | undefined;
  private ending: Promise<void> | undefined;
  private readonly lastVideoPts = new Map<number, number>();
  /** Wall time of the last RTP packet, for the capture's no-media watchdog. */
  lastPacketMs = Date.now();

  constructor(
    private readonly identity: { readonly name: string; readonly url: string },
    private readonly readers: readonly TrackReader[],
    private readonly payloadTypes: readonly number[],
    private readonly clock: StreamClock,
    private readonly deps: PublisherDeps,
  ) {}

  get stream(): Stream | undefined {
    return this.published;
  }

  onRtp(track: number, bytes: Buffer, arrivalMs = Date.now()): void {
    if (this.state === 'closed') return;
    this.lastPacketMs = arrivalMs;
    const packet = parseRtp(bytes);
    if (packet === undefined) return this.drop('truncated or malformed RTP packet');
    if (packet.payloadType !== this.payloadTypes[track])
      return this.drop(`RTP payload type ${packet.payloadType}`);
    for (const unit of this.readers[track]!.push(packet)) {
      const extended = this.clock.unwrap(track, unit.timestamp, arrivalMs);
      if (this.state === 'live') this.write({ track, extended, unit, arrivalMs });
      else this.hold({ track, extended, unit, arrivalMs });
    }
    if (this.state === 'collecting') this.publishWhenReady();
  }

  onRtcp(track: number, bytes: Buffer): void {
    if (this.state === 'closed') return;
    for (const report of senderReports(bytes)) {
      const corrections = this.clock.onSenderReport(track, report.ntpSeconds, report.rtpTimestamp);
      if (corrections !== undefined) {
        this.deps.log.info(
          { stream: this.identity.name, correctionsMs: corrections.map((ms) => Math.round(ms)) },
          `RTSP "${this.identity.name}": tracks realigned to the camera's sender reports`,
        );
      }
    }
    if (this.state === 'collecting') this.publishWhenReady();
  }

  /** The session is over: the stream ends (the recording closes). Idempotent: one promise for all callers. */
  end(reason: string): Promise<void> {
    this.ending ??= this.finish(reason);
    return this.ending;
  }

  private async finish(reason: string): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.syncTimer);
    this.held = [];
    this.deps.drops.logSummary();
    await this.publishing?.catch(() => undefined);
    await this.published?.end(reason);
  }

  private publishWhenReady(): void {
    if (this.firstFrameMs === undefined) return;
    if (this.readers.some((reader) => reader.track === undefined)) return; // H.264 without SPS/PPS yet
    const waitedEnough = Date.now() - this.firstFrameMs >= this.deps.options.syncWaitMs;
    if (this.readers.length > 1 && !this.clock.reportsComplete && !waitedEnough) {
      this.syncTimer ??= setTimeout(() => {
        if (this.state === 'collecting') this.publishWhenReady();
      }, this.deps.options.syncWaitMs).unref();
      return;
    }
    this.publish();
  }

  private publish(): void {
    this.state = 'publishing';
    clearTimeout(this.syncTimer);
    const source = this.clock.lock();
    const tracks = this.readers
      .map((reader) => reader.track)
      .filter((track): track is Track => track !== undefined);
    this.deps.log.info(
      { stream: this.identity.name, sync: source, codecs: tracks.map((t) => t.codec) },
      `RTSP "${this.identity.name}": publishing ${tracks.map((t) => t.codec).join(' + ')}, tracks synced by ${source}`,
    );
    this.publishing = this.deps.bus
      .publish({
        name: this.identity.name,
        login: '',
        source: 'rtsp',
        record: false,
        tracks,
        query: { uri: this.identity.url },
      })
      .then(
        (stream) => this.onPublished(stream),
        (error: unknown) => {
          if (this.state === 'closed') return;
          this.state = 'closed';
          this.held = [];
          this.deps.onFatal(
            new RtspError('refused', `publish refused: ${errorMessage(error)}`, { cause: error }),
          );
        },
      )
      .catch((error: unknown) => {
        // a bug in writing the held frames must end this session, not become an unhandled rejection
        this.state = 'closed';
        this.deps.onFatal(
          new RtspError('protocol', `internal error: ${errorMessage(error)}`, { cause: error }),
        );
      });
  }

  private async onPublished(stream: Stream): Promise<void> {
    if (this.state === 'closed') {
      await stream.end('the camera session ended'); // it ended while the publish hooks ran
      return;
    }
    this.published = stream;
    this.state = 'live';
    const held = this.held;
    this.held = [];
    for (const item of held) if (this.state === 'live') this.write(item);
    this.deps.onLive?.(stream);
  }

  private hold(item: Held): void {
    this.firstFrameMs ??= item.arrivalMs;
    if (this.held.length >= this.deps.options.maxPendingFrames) {
      this.held.shift();
      this.drop('held frame (too many while the publish was pending)');
    }
    this.held.push(item);
  }

  private write({ track, extended, unit, arrivalMs }: Held): void {
    const stream = this.published!;
    if (stream.ended) {
      this.state = 'closed';
      this.deps.onFatal(new RtspError('refused', 'the stream was ended by the server'));
      return;
    }
    const pts = this.clock.streamTime(track, extended);
    if (pts === undefined) return this.drop('frame of a track not yet on the timeline');
    const reader = this.readers[track]!;
    if (unit.track !== undefined) stream.setTrack(unit.track);
    if (reader.kind === 'video') {
      // Decode order = presentation order is assumed (dts = pts): cameras send no B-frames.
      const last = this.lastVideoPts.get(track);
      if (last !== undefined && pts < last)
        return this.drop('video frame presented before the previous one (B-frames are not supported)');
      this.lastVideoPts.set(track, pts);
    }
    stream.writeFrame({
      trackId: reader.track!.id,
      data: unit.data,
      dts: pts,
      pts,
      keyframe: unit.keyframe,
      arrivalMs,
    });
  }

  private drop(what: string): void {
    this.deps.drops.count(what);
  }
}
