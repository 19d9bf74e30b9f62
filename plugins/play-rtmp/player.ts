/**
 * One RTMP player: bus frames → FLV tag bodies → RTMP messages on the player's connection.
 *
 * Order on the wire: Play.Start, onMetaData, the sequence headers (again whenever a track's config
 * changes), then frames from a video keyframe on — the cached GOP when there is one, else the bus
 * subscription's first keyframe. Audio before the first keyframe is not sent, so both start together.
 * Timestamps are ms from the track's timescale, counted from that first keyframe.
 *
 * Memory per player is bounded: while the socket holds more than `bufferBytes` unsent, the player
 * takes nothing from its bus queue (which, once `bus.playerQueueFrames` are queued, drops to the next
 * keyframe); if the socket does not drain within `stallTimeoutMs`, the player is cut. So a player
 * holds at most bufferBytes + one message in its socket, plus its queue of shared frames.
 */
import type { Frame, Logger, Stream, Subscription, Track } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import {
  FLV_SCRIPT,
  flvFrameTag,
  flvMs,
  flvSequenceHeader,
  flvTagType,
  onMetaDataTag,
} from '../../lib/flv/index.js';
import type { RtmpPlayConnection } from '../ingest-rtmp/api.js';
import type { PlayPlan } from './play-plan.js';

export interface PlayerOptions {
  readonly name: string;
  readonly log: Logger;
  readonly bufferBytes: number;
  readonly stallTimeoutMs: number;
  /** Tag bodies by frame, shared by every player: a frame is muxed once however many play it. */
  readonly tags: WeakMap<Frame, Buffer>;
}

export interface PlayerStats {
  framesSent: number;
  bytesSent: number;
}

export class RtmpPlayer {
  readonly stats: PlayerStats = { framesSent: 0, bytesSent: 0 };
  private readonly main: Subscription;
  private readonly audioSubscription: Subscription | undefined;
  private readonly sentConfigs = new Map<Track, Uint8Array>();
  private baseMs: number | undefined;
  private lastMs = 0;
  private videoStarted: boolean;
  private stall: Promise<boolean> | undefined;
  private stopReason: string | undefined;

  /**
   * Subscribes at once: with `gop` taken in the same tick (see GopCache.snapshot), the player
   * starts with it and misses no frame after it.
   */
  constructor(
    private readonly plan: PlayPlan,
    private readonly connection: RtmpPlayConnection,
    private readonly gop: readonly Frame[] | undefined,
    private readonly options: PlayerOptions,
  ) {
    const { stream, audio } = plan;
    this.main = stream.subscribe({ name: options.name, role: 'player', startAtKeyframe: gop === undefined });
    this.audioSubscription =
      audio !== undefined && audio.stream !== stream
        ? audio.stream.subscribe({ name: options.name, role: 'player' })
        : undefined;
    this.videoStarted = plan.video === undefined;
  }

  /** Frames the bus dropped for this player (its queue overflowed while the socket was full). */
  get framesDropped(): number {
    return this.main.stats.dropped + (this.audioSubscription?.stats.dropped ?? 0);
  }

  /** Plays until the stream ends, the player leaves or is cut; resolves with why it stopped. */
  async run(): Promise<string> {
    this.connection.onClose(() => this.stop('player disconnected'));
    this.connection.start();
    this.sendMetadata();
    for (const track of this.tracksPlayed()) this.sendSequenceHeader(track);
    for (const frame of this.gop ?? []) this.sendFrame(this.plan.stream, frame);
    const audioLoop = this.audioSubscription === undefined ? undefined : this.pump(this.audioSubscription);
    const reason = await this.pump(this.main);
    this.audioSubscription?.close();
    await audioLoop;
    this.stop(reason);
    return this.stopReason!;
  }

  /** Stops at once (player gone, server stopping); the connection is told when it is still open. */
  stop(reason: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.main.close();
    this.audioSubscription?.close();
    this.connection.finish(reason);
  }

  private async pump(subscription: Subscription): Promise<string> {
    const stream = subscription === this.main ? this.plan.stream : this.plan.audio!.stream;
    for await (const event of subscription) {
      if (this.stopReason !== undefined) return this.stopReason;
      if (!(await this.room())) return this.stopReason ?? 'cut';
      try {
        if (event.type === 'track') this.onTrack(event.track);
        else if (event.type === 'frame') this.sendFrame(stream, event.frame);
        else if (event.type === 'end') {
          if (subscription === this.main) return `stream "${stream.name}" ended: ${event.reason}`;
          this.options.log.info(
            { stream: this.plan.stream.name },
            `RTMP play of "${this.plan.stream.name}": converted audio ended (${event.reason}); video goes on`,
          );
        }
      } catch (error) {
        return `internal error: ${errorMessage(error)}`;
      }
    }
    return this.stopReason ?? `stream "${stream.name}" ended`;
  }

  /**
   * Waits while the socket holds more than the bound; false when the player was cut for it. One
   * wait is shared by both subscriptions' loops.
   */
  private async room(): Promise<boolean> {
    if (this.connection.closed) return false;
    if (this.connection.bufferedBytes <= this.options.bufferBytes) return true;
    this.stall ??= this.waitForDrain().finally(() => (this.stall = undefined));
    return this.stall;
  }

  private async waitForDrain(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.stallTimeoutMs);
    });
    const drained = await Promise.race([this.connection.drained().then(() => true), timedOut]);
    clearTimeout(timer);
    if (drained) return !this.connection.closed;
    const buffered = this.connection.bufferedBytes;
    this.stopReason = `player did not read: ${buffered} bytes unsent for ${this.options.stallTimeoutMs} ms (bound ${this.options.bufferBytes})`;
    this.main.close();
    this.audioSubscription?.close();
    this.connection.destroy();
    return false;
  }

  private tracksPlayed(): Track[] {
    return [this.plan.video, this.plan.audio?.track].filter((track) => track !== undefined);
  }

  /** A track event of the stream it comes from: only the tracks played, only when the config changed. */
  private onTrack(track: Track): void {
    const played = this.tracksPlayed().find(
      (candidate) => candidate.kind === track.kind && candidate.id === track.id,
    );
    if (played !== undefined) this.sendSequenceHeader(track);
  }

  private sendSequenceHeader(track: Track): void {
    const key = this.trackKey(track);
    if (track.config === undefined || sameBytes(this.sentConfigs.get(key), track.config)) return;
    const header = flvSequenceHeader(track);
    if (header === undefined) return;
    this.sentConfigs.set(key, track.config);
    this.send(flvTagType(track), this.lastMs, header);
  }

  private sendFrame(stream: Stream, frame: Frame): void {
    const track = stream.tracks.find((candidate) => candidate.id === frame.trackId);
    if (track === undefined || !this.isPlayed(stream, track)) return;
    if (!this.sentConfigs.has(this.trackKey(track))) return; // no decoder config yet: undecodable
    if (track.kind === 'video') {
      if (!this.videoStarted && !frame.keyframe) return;
      this.videoStarted = true;
    } else if (!this.videoStarted) return;
    const ms = flvMs(frame.dts, track.timescale);
    this.baseMs ??= ms;
    if (ms < this.baseMs) return; // audio from before the first keyframe
    let tag = this.options.tags.get(frame);
    if (tag === undefined) {
      tag = flvFrameTag(frame, track);
      this.options.tags.set(frame, tag);
    }
    this.lastMs = ms - this.baseMs;
    this.send(flvTagType(track), this.lastMs, tag);
    this.stats.framesSent++;
  }

  private isPlayed(stream: Stream, track: Track): boolean {
    if (track.kind === 'video') return stream === this.plan.stream && track.id === this.plan.video?.id;
    return stream === this.plan.audio?.stream && track.id === this.plan.audio.track.id;
  }

  /** Tracks by kind: a config change arrives as a new Track object of the same id. */
  private trackKey(track: Track): Track {
    return track.kind === 'video' ? this.plan.video! : this.plan.audio!.track;
  }

  private sendMetadata(): void {
    const { video, audio } = this.plan;
    const metadata: Record<string, number | boolean | string> = { encoder: 'Spool' };
    if (video !== undefined) {
      metadata.videocodecid = 7;
      if (video.width !== undefined && video.height !== undefined) {
        metadata.width = video.width;
        metadata.height = video.height;
      }
    }
    if (audio !== undefined) {
      metadata.audiocodecid = 10;
      metadata.audiosamplerate = audio.track.sampleRate;
      metadata.stereo = audio.track.channels > 1;
    }
    this.send(FLV_SCRIPT, 0, onMetaDataTag(metadata));
  }

  private send(type: number, timestampMs: number, body: Buffer): void {
    this.connection.send(type, timestampMs, body);
    this.stats.bytesSent += body.length;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
