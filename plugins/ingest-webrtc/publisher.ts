import type { Logger, Stream, Track } from '../../core/index.js';
import {
  AUDIO_TRACK_ID,
  VIDEO_TRACK_ID,
  type ConvertedFrame,
  type Converter,
  type OpusConverter,
} from './frames.js';
import { MediaClock, type SenderReport } from './media-clock.js';
import type { MediaKind } from './peer.js';
import type { ReceivedFrame } from './track-receiver.js';

export interface PublisherOptions {
  readonly keyframeIntervalMs: number;
  readonly syncWaitMs: number;
  readonly maxPendingFrames: number;
}

export interface PublisherDeps {
  readonly log: Logger;
  readonly options: PublisherOptions;
  /** Sends a PLI to the browser. */
  readonly requestKeyframe: () => void;
  /** For what goes wrong in the publisher's own timers (nothing may throw out of a timer). */
  readonly reportError: (where: string, error: unknown) => void;
}

interface Held {
  readonly trackId: number;
  readonly rtp: number;
  readonly arrivalMs: number;
  readonly frame: ConvertedFrame;
  /** The converter's track when the frame was converted: the stream must have it before the frame. */
  readonly track: Track;
}

const TRACK_ID: Record<MediaKind, number> = { video: VIDEO_TRACK_ID, audio: AUDIO_TRACK_ID };
const KEYFRAME_CHECK_MS = 500;

/**
 * Writes one WHIP publisher's frames to its stream. Frames are held (bounded) until RTCP sender
 * reports have put every track on one clock, or `syncWaitMs` has passed; then they are written
 * in arrival order. Video is written from a keyframe on, and again from the next keyframe after
 * a loss (a frame referring to a lost one would not decode); the browser is asked for one (PLI)
 * then, on a subscriber's request, and when none came for `keyframeIntervalMs`.
 */
export class WebRtcPublisher {
  private readonly clock: MediaClock;
  private held: Held[] = [];
  private readonly firstFrames = new Map<number, { rtp: number; arrivalMs: number }>();
  private readonly lastDts = new Map<number, number>();
  /** The track objects the stream has; a frame whose track is another object brings an update. */
  private readonly streamTracks: Map<number, Track>;
  private videoNeedsKeyframe = true;
  private lastKeyframeMs = Date.now();
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly keyframeTimer: NodeJS.Timeout | undefined;
  private readonly drops = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly stream: Stream,
    private readonly converters: { readonly video?: Converter; readonly audio?: OpusConverter },
    private readonly deps: PublisherDeps,
  ) {
    this.streamTracks = new Map(stream.tracks.map((track) => [track.id, track]));
    const clockRates = new Map<number, number>();
    if (converters.video !== undefined) clockRates.set(VIDEO_TRACK_ID, 90000);
    if (converters.audio !== undefined) clockRates.set(AUDIO_TRACK_ID, 48000);
    this.clock = new MediaClock(clockRates);
    if (converters.video !== undefined) {
      stream.onKeyframeRequest(() => deps.requestKeyframe());
      const intervalMs = deps.options.keyframeIntervalMs;
      if (intervalMs > 0) {
        this.keyframeTimer = setInterval(
          () => {
            if (Date.now() - this.lastKeyframeMs >= intervalMs) deps.requestKeyframe();
          },
          Math.min(KEYFRAME_CHECK_MS, intervalMs),
        ).unref();
      }
    }
  }

  onFrame(kind: MediaKind, received: ReceivedFrame, arrivalMs = Date.now()): void {
    if (this.closed) return;
    const converter = this.converters[kind];
    if (converter === undefined) return;
    const frame = converter.convert(received.data);
    if ('unusable' in frame) return this.dropVideo(kind, frame.unusable);
    if (kind === 'video') {
      if (frame.keyframe) {
        this.videoNeedsKeyframe = false;
        this.lastKeyframeMs = arrivalMs;
      } else if (this.videoNeedsKeyframe) {
        return this.dropVideo(kind, 'video frame before the next keyframe');
      }
    }
    const trackId = TRACK_ID[kind];
    const rtp = this.clock.unwrap(trackId, received.rtpTimestamp);
    const item = { trackId, rtp, arrivalMs, frame, track: converter.track! };
    if (this.clock.started) {
      this.write(item);
      return;
    }
    this.hold(item);
    if (!this.firstFrames.has(trackId)) this.firstFrames.set(trackId, { rtp, arrivalMs });
    if (this.clock.synchronized) this.startWriting('sender reports');
    else
      this.syncTimer ??= setTimeout(() => {
        try {
          this.startWriting('arrival times (no sender report in time)');
        } catch (error) {
          this.deps.reportError('writing held frames', error);
        }
      }, this.deps.options.syncWaitMs).unref();
  }

  onSenderReport(kind: MediaKind, report: SenderReport, arrivalMs = Date.now()): void {
    if (this.closed || this.converters[kind] === undefined) return;
    const movedS = this.clock.onSenderReport(TRACK_ID[kind], report, arrivalMs);
    if (movedS !== undefined) {
      this.deps.log.info(
        { stream: this.stream.name, track: kind, movedMs: Math.round(movedS * 1000) },
        `WebRTC "${this.stream.name}": ${kind} re-aligned by ${Math.round(movedS * 1000)} ms (sender reports)`,
      );
    }
    if (!this.clock.started && this.held.length > 0 && this.clock.synchronized) {
      this.startWriting('sender reports');
    }
  }

  /** Packets were lost for good: video waits for a keyframe, which is asked for at once. */
  onLoss(kind: MediaKind): void {
    if (this.closed || kind !== 'video' || this.converters.video === undefined) return;
    this.count('video packets lost; frames skipped to the next keyframe');
    this.videoNeedsKeyframe = true;
    this.deps.requestKeyframe();
  }

  /** Stops timers; what is held is dropped. The session ends the stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncTimer);
    clearInterval(this.keyframeTimer);
    this.held = [];
    if (this.drops.size > 0) {
      const counts = [...this.drops].map(([what, count]) => `${what} x${count}`).join(', ');
      this.deps.log.info({ stream: this.stream.name }, `WebRTC "${this.stream.name}" dropped: ${counts}`);
    }
  }

  private startWriting(how: string): void {
    if (this.clock.started || this.closed) return;
    clearTimeout(this.syncTimer);
    this.clock.start(this.firstFrames);
    // Before the first frame: recordings name files by the publisher's clock ({startTime}).
    const originMs = this.clock.originUnixMs;
    if (originMs !== undefined) this.stream.clockOriginMs = originMs;
    this.deps.log.info(
      { stream: this.stream.name },
      `WebRTC "${this.stream.name}": tracks aligned by ${how}`,
    );
    const held = this.held;
    this.held = [];
    for (const item of held) this.write(item);
  }

  private write({ trackId, rtp, arrivalMs, frame, track }: Held): void {
    if (this.stream.ended) return;
    // By identity, not by frame.track: the frame that brought a new track may have been dropped.
    if (this.streamTracks.get(trackId) !== track) this.setTrack(track);
    let dts = this.clock.toStreamTime(trackId, rtp, arrivalMs);
    const previous = this.lastDts.get(trackId);
    if (previous !== undefined && dts <= previous) {
      // Only after the clock re-anchored a track backwards: overlapping audio goes, video is kept
      // (its successors depend on it) with the smallest step forward.
      if (trackId === AUDIO_TRACK_ID) return this.count('audio overlapping after a clock correction');
      dts = previous + 1;
    }
    this.lastDts.set(trackId, dts);
    this.stream.writeFrame({ trackId, data: frame.data, dts, pts: dts, keyframe: frame.keyframe, arrivalMs });
  }

  private setTrack(track: Track): void {
    this.streamTracks.set(track.id, track);
    this.stream.setTrack(track);
    if (track.kind === 'video') {
      this.deps.log.info(
        { stream: this.stream.name, width: track.width, height: track.height },
        `WebRTC "${this.stream.name}": ${track.codec} ${track.width}x${track.height}`,
      );
    }
  }

  private hold(item: Held): void {
    if (this.held.length >= this.deps.options.maxPendingFrames) this.dropOldestHeld();
    if (item.trackId === VIDEO_TRACK_ID && this.videoNeedsKeyframe) {
      // The video held before it was dropped: only a keyframe can start again.
      if (!item.frame.keyframe) return this.dropVideo('video', 'video frame before the next keyframe');
      this.videoNeedsKeyframe = false;
    }
    this.held.push(item);
  }

  private dropOldestHeld(): void {
    const [oldest] = this.held.splice(0, 1);
    this.count(`frames held beyond ${this.deps.options.maxPendingFrames} while waiting for A/V sync`);
    if (oldest!.trackId !== VIDEO_TRACK_ID) return;
    // Video after a dropped frame cannot be decoded until a keyframe: drop it up to there.
    const nextKey = this.held.findIndex((h) => h.trackId === VIDEO_TRACK_ID && h.frame.keyframe);
    this.held = this.held.filter((h, i) => h.trackId !== VIDEO_TRACK_ID || (nextKey !== -1 && i >= nextKey));
    if (nextKey === -1) this.videoNeedsKeyframe = true;
  }

  private dropVideo(kind: MediaKind, what: string): void {
    this.count(what);
    if (kind === 'video') this.deps.requestKeyframe();
  }

  /** Counts a dropped frame; the first of each kind is logged, the totals when the publish ends. */
  private count(what: string): void {
    const count = (this.drops.get(what) ?? 0) + 1;
    this.drops.set(what, count);
    if (count === 1)
      this.deps.log.warn({ stream: this.stream.name }, `WebRTC "${this.stream.name}": ${what}`);
  }
}
