import type { Logger, Stream, StreamBus } from '../../core/index.js';
import { errorMessage, isSpoolError } from '../../core/index.js';
import { h264 } from '../../lib/codecs/index.js';
import type { FlvPacket } from '../../lib/flv/index.js';
import {
  AUDIO_TRACK_ID,
  AudioClock,
  VIDEO_TRACK_ID,
  aacTrack,
  h264Track,
  type AacTrack,
  type H264Track,
} from './tracks.js';

export interface PublisherOptions {
  /** Once media flows, how long to wait for the sequence header of a kind not seen yet. */
  readonly trackWaitMs: number;
  /** Packets held while the tracks are learned and the bus publish runs; the oldest go first. */
  readonly maxPendingPackets: number;
}

/** Who publishes what, from the RTMP publish command. */
export interface PublishIdentity {
  readonly name: string;
  readonly login: string;
  readonly record: boolean;
  readonly query: Readonly<Record<string, string>>;
  readonly remoteAddress?: string;
}

export interface PublisherDeps {
  readonly bus: Pick<StreamBus, 'publish'>;
  readonly log: Logger;
  readonly options: PublisherOptions;
  /** Ends the RTMP connection (the publisher then gets `disconnected`). */
  readonly closeConnection: (reason: string) => void;
}

type VideoPacket = Extract<FlvPacket, { kind: 'avc-nalu' }>;
type AudioPacket = Extract<FlvPacket, { kind: 'aac-raw' }>;
type MediaEvent =
  | VideoPacket
  | AudioPacket
  | { readonly kind: 'video-track'; readonly video: H264Track }
  | { readonly kind: 'audio-track'; readonly audio: AacTrack };

interface Held {
  readonly event: MediaEvent;
  readonly arrivalMs: number;
}

/**
 * One RTMP publish: learns the tracks from the sequence headers, publishes the stream on the bus
 * (the `publish` hook may refuse it), then turns FLV packets into frames. Packets that arrive
 * while the tracks are learned or the bus publish runs are held, bounded, and written in order.
 */
export class Publisher {
  private state: 'collecting' | 'publishing' | 'live' | 'closed' = 'collecting';
  private held: Held[] = [];
  private heldDropped = 0;
  private expected = { video: true, audio: true };
  private firstVideo: H264Track | undefined;
  private firstAudio: AacTrack | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private video: H264Track | undefined;
  private audio: AacTrack | undefined;
  private audioClock: AudioClock | undefined;
  private published: Stream | undefined;
  private publishing: Promise<void> | undefined;
  private endReason = 'publisher disconnected';
  private finished: Promise<void> | undefined;
  private readonly drops = new Map<string, number>();

  constructor(
    readonly identity: PublishIdentity,
    private readonly deps: PublisherDeps,
  ) {}

  /** The stream on the bus, once the publish went through. */
  get stream(): Stream | undefined {
    return this.published;
  }

  onPacket(packet: FlvPacket, arrivalMs = Date.now()): void {
    if (this.state === 'closed') return;
    const event = this.toEvent(packet);
    if (event === undefined) return;
    if (this.state === 'live') {
      this.write(event, arrivalMs);
      return;
    }
    this.hold({ event, arrivalMs });
    if (this.state === 'collecting') this.collect(event);
  }

  /** The RTMP connection is gone: the stream ends at once. Idempotent. */
  disconnected(reason = 'publisher disconnected'): Promise<void> {
    if (this.finished !== undefined) return this.finished;
    this.state = 'closed';
    clearTimeout(this.waitTimer);
    this.held = [];
    this.endReason = reason;
    if (this.drops.size > 0) {
      const counts = [...this.drops].map(([what, count]) => `${what} x${count}`).join(', ');
      this.deps.log.info({ stream: this.identity.name }, `RTMP "${this.identity.name}" dropped: ${counts}`);
    }
    this.finished = this.published?.end(reason) ?? this.publishing ?? Promise.resolve();
    return this.finished;
  }

  private toEvent(packet: FlvPacket): MediaEvent | undefined {
    switch (packet.kind) {
      case 'avc-nalu':
      case 'aac-raw':
        return packet;
      case 'avc-config':
        try {
          return { kind: 'video-track', video: h264Track(packet.config) };
        } catch (error) {
          return this.drop('malformed H.264 sequence header', errorMessage(error));
        }
      case 'aac-config':
        try {
          return { kind: 'audio-track', audio: aacTrack(packet.config) };
        } catch (error) {
          return this.drop('malformed AAC sequence header', errorMessage(error));
        }
      case 'metadata':
        if (this.state === 'collecting') this.announce(packet.metadata);
        return undefined;
      case 'avc-end':
        return undefined;
      case 'ignored':
        return this.drop(`unsupported ${packet.reason}`, 'Spool takes H.264 video and AAC audio over RTMP');
      case 'malformed':
        return this.drop('malformed packet', packet.reason);
    }
  }

  /** onMetaData says which kinds to wait for; an audio-only publisher need not wait for video. */
  private announce(metadata: Readonly<Record<string, unknown>>): void {
    const video = metadata.videocodecid !== undefined;
    const audio = metadata.audiocodecid !== undefined;
    if (video || audio) this.expected = { video, audio };
    this.deps.log.debug({ stream: this.identity.name, metadata }, 'RTMP onMetaData');
    if (this.firstVideo !== undefined || this.firstAudio !== undefined) this.publishWhenTracksKnown();
  }

  private collect(event: MediaEvent): void {
    if (event.kind === 'video-track') this.firstVideo ??= event.video;
    if (event.kind === 'audio-track') this.firstAudio ??= event.audio;
    this.waitTimer ??= setTimeout(() => this.tracksTimedOut(), this.deps.options.trackWaitMs).unref();
    this.publishWhenTracksKnown();
  }

  private publishWhenTracksKnown(): void {
    if (this.firstVideo === undefined && this.firstAudio === undefined) return;
    if (this.expected.video && this.firstVideo === undefined) return;
    if (this.expected.audio && this.firstAudio === undefined) return;
    this.publish();
  }

  private tracksTimedOut(): void {
    if (this.state !== 'collecting') return;
    const waitMs = this.deps.options.trackWaitMs;
    if (this.firstVideo === undefined && this.firstAudio === undefined) {
      this.fail(`no H.264 or AAC sequence header within ${waitMs} ms of the first media packet`);
      return;
    }
    const missing = this.firstVideo === undefined ? 'video' : 'audio';
    this.deps.log.info(
      { stream: this.identity.name },
      `RTMP "${this.identity.name}": no ${missing} sequence header within ${waitMs} ms, publishing without ${missing}`,
    );
    this.publish();
  }

  private publish(): void {
    this.state = 'publishing';
    clearTimeout(this.waitTimer);
    this.video = this.firstVideo;
    this.audio = this.firstAudio;
    if (this.audio !== undefined) this.audioClock = this.newAudioClock(this.audio);
    const tracks = [this.video?.track, this.audio?.track].filter((track) => track !== undefined);
    this.publishing = this.deps.bus
      .publish({ ...this.identity, source: 'rtmp', tracks })
      .then(
        (stream) => this.onPublished(stream),
        (error: unknown) => this.onRefused(error),
      )
      .catch((error: unknown) => {
        // a bug here must not become an unhandled rejection: end this publish, not the process
        this.deps.log.error({ stream: this.identity.name, err: error }, 'RTMP publish failed');
        this.fail(`internal error: ${errorMessage(error)}`);
      });
  }

  private async onPublished(stream: Stream): Promise<void> {
    if (this.state === 'closed') {
      await stream.end(this.endReason); // the publisher left while the publish hooks ran
      return;
    }
    this.published = stream;
    this.state = 'live';
    stream.onKeyframeRequest(({ requester }) =>
      this.deps.log.debug(
        { stream: stream.name, requester },
        'keyframe requested; RTMP cannot ask the publisher, the next one comes with its GOP',
      ),
    );
    const held = this.held;
    this.held = [];
    for (const { event, arrivalMs } of held) {
      if (this.state !== 'live') break;
      this.write(event, arrivalMs);
    }
  }

  private onRefused(error: unknown): void {
    if (this.state === 'closed') return;
    const reason = errorMessage(error);
    if (isSpoolError(error)) this.deps.log.warn({ stream: this.identity.name, code: error.code }, reason);
    else this.deps.log.error({ stream: this.identity.name, err: error }, `RTMP publish failed: ${reason}`);
    this.fail(reason);
  }

  private fail(reason: string): void {
    this.state = 'closed';
    this.held = [];
    clearTimeout(this.waitTimer);
    this.deps.closeConnection(reason);
  }

  private hold(item: Held): void {
    if (this.held.length >= this.deps.options.maxPendingPackets) {
      const oldestMedia = this.held.findIndex(({ event }) => !event.kind.endsWith('-track'));
      this.held.splice(oldestMedia === -1 ? 0 : oldestMedia, 1);
      if (++this.heldDropped === 1) {
        this.deps.log.warn(
          { stream: this.identity.name },
          `RTMP "${this.identity.name}": more than ${this.deps.options.maxPendingPackets} packets while the publish is pending; dropping the oldest`,
        );
      }
    }
    this.held.push(item);
  }

  private write(event: MediaEvent, arrivalMs: number): void {
    const stream = this.published!;
    if (stream.ended) {
      this.fail('the stream was ended by the server');
      return;
    }
    switch (event.kind) {
      case 'video-track':
        if (sameBytes(this.video?.track.config, event.video.track.config)) return;
        this.video = event.video;
        stream.setTrack(event.video.track);
        this.deps.log.info(
          { stream: stream.name, width: event.video.track.width, height: event.video.track.height },
          `RTMP "${stream.name}": new H.264 sequence header`,
        );
        return;
      case 'audio-track':
        if (sameBytes(this.audio?.track.config, event.audio.track.config)) return;
        this.audio = event.audio;
        this.audioClock = this.newAudioClock(event.audio);
        stream.setTrack(event.audio.track);
        this.deps.log.info({ stream: stream.name }, `RTMP "${stream.name}": new AAC sequence header`);
        return;
      case 'avc-nalu':
        this.writeVideo(stream, event, arrivalMs);
        return;
      case 'aac-raw':
        this.writeAudio(stream, event, arrivalMs);
        return;
    }
  }

  private writeVideo(stream: Stream, packet: VideoPacket, arrivalMs: number): void {
    const video = this.video;
    if (video === undefined) return this.drop('H.264 frame before its sequence header');
    let units: Uint8Array[];
    try {
      units = h264.splitAvcc(packet.data, video.lengthSize);
    } catch (error) {
      return this.drop('malformed H.264 frame', errorMessage(error));
    }
    if (units.length === 0) return this.drop('empty H.264 frame');
    stream.writeFrame({
      trackId: VIDEO_TRACK_ID,
      data: video.lengthSize === 4 ? packet.data : h264.joinAvcc(units),
      dts: packet.timeMs * 90,
      pts: (packet.timeMs + packet.ctsMs) * 90,
      keyframe: packet.keyframe,
      arrivalMs,
    });
  }

  private writeAudio(stream: Stream, packet: AudioPacket, arrivalMs: number): void {
    const clock = this.audioClock;
    if (clock === undefined) return this.drop('AAC frame before its sequence header');
    if (packet.data.length === 0) return this.drop('empty AAC frame');
    const { dts, resynced } = clock.next(packet.timeMs);
    if (resynced) {
      this.deps.log.debug(
        { stream: stream.name, timeMs: packet.timeMs },
        'AAC sample clock realigned to RTMP time',
      );
    }
    stream.writeFrame({
      trackId: AUDIO_TRACK_ID,
      data: packet.data,
      dts,
      pts: dts,
      keyframe: true,
      arrivalMs,
    });
  }

  private newAudioClock(audio: AacTrack): AudioClock {
    return new AudioClock(audio.track.sampleRate, audio.samplesPerFrame);
  }

  /** Counts a dropped packet; the first of each kind is logged, the totals when the publish ends. */
  private drop(what: string, detail?: string): undefined {
    const count = (this.drops.get(what) ?? 0) + 1;
    this.drops.set(what, count);
    if (count === 1) {
      this.deps.log.warn(
        { stream: this.identity.name, detail },
        `RTMP "${this.identity.name}": dropping ${what}${detail === undefined ? '' : ` (${detail})`}`,
      );
    }
    return undefined;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
