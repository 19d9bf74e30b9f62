/**
 * One converted stream for players (`converted:opus:NAME`): a subscriber of the source that publishes a
 * derived stream with the source's video frames, the very same objects, and its audio converted by one
 * ffmpeg (through ConvertedAudio, which restarts a failed ffmpeg like the recorder does). Audio already in
 * the target codec is relayed as it is. Every player of the derived stream shares this one conversion.
 */
import {
  errorMessage,
  type AudioCodec,
  type AudioTrack,
  type Frame,
  type Logger,
  type Stream,
  type StreamBus,
  type Subscription,
  type Track,
} from '../../core/index.js';
import type { AudioTranscoderFactory } from '../../lib/transcode/audio-transcoder.js';
import { ConvertedAudio } from '../../lib/transcode/converted-audio.js';

export interface SharedConversionOptions {
  readonly bus: StreamBus;
  readonly source: Stream;
  /** The derived stream's name (`converted:CODEC:NAME`, without credentials). */
  readonly name: string;
  readonly to: AudioCodec;
  readonly factory: AudioTranscoderFactory;
  /** Who subscribes to the source (the plugin's name), for the bus's logs and metrics. */
  readonly subscriber: string;
  readonly log: Logger;
  /** An ffmpeg conversion started (+1) or ended (-1): the plugin's gauge. */
  readonly onConverting: (delta: 1 | -1) => void;
}

/** What happens to one audio track of the source. */
type AudioPath = { readonly kind: 'relay'; readonly input: Track } | ConvertPath;

interface ConvertPath {
  readonly kind: 'convert';
  readonly input: AudioTrack;
  readonly converter: ConvertedAudio;
  /** Its ffmpeg no longer runs (closed, aborted or given up): counted off the gauge once. */
  done: boolean;
}

export class SharedConversion {
  /** The derived stream, published by `open`. */
  stream!: Stream;
  private readonly subscription: Subscription;
  private readonly audio = new Map<number, AudioPath>();
  /** The source's tracks as last seen, to tell a changed track from the first delivery of each. */
  private readonly sourceTracks = new Map<number, Track>();
  private stopping = false;
  /** Settles once the derived stream has ended, whatever ended it. */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  private constructor(private readonly options: SharedConversionOptions) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    // Subscribed before publishing, so no frame falls between the two.
    this.subscription = options.source.subscribe({ name: options.subscriber, role: 'player' });
  }

  /** Subscribes to the source, opens the conversions and publishes the derived stream. */
  static async open(options: SharedConversionOptions): Promise<SharedConversion> {
    const conversion = new SharedConversion(options);
    try {
      await conversion.publish();
    } catch (error) {
      conversion.subscription.close();
      for (const path of conversion.audio.values()) conversion.abortPath(path);
      conversion.resolveEnded();
      throw error;
    }
    // The demander subscribes once `demand` resolves, a few microtasks from here: starting the relay
    // in the next macrotask gives it the derived stream from its first frame (a video keyframe).
    setImmediate(() => void conversion.relay());
    return conversion;
  }

  /** Ends the derived stream at once (nobody watches, or the plugin stops): ffmpeg is killed. */
  async stop(reason: string): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.subscription.close();
      for (const path of this.audio.values()) this.abortPath(path);
      await this.stream.end(reason);
      this.resolveEnded();
    }
    await this.ended;
  }

  private async publish(): Promise<void> {
    const { bus, source, name, to, log } = this.options;
    const tracks: Track[] = [];
    for (const track of source.tracks) {
      this.sourceTracks.set(track.id, track);
      if (track.kind === 'video') tracks.push(track);
      else {
        const output = this.openPath(track);
        if (output !== undefined) tracks.push(output);
      }
    }
    this.stream = await bus.publish({
      name,
      login: source.login,
      // Not the source's ingest: recording policies that record by source (RTMP, RTSP) must not take it.
      source: 'transcoder',
      record: false,
      query: {},
      tracks,
    });
    this.stream.onKeyframeRequest(() => this.subscription.requestKeyframe());
    const kinds = [...this.audio.values()].map((path) =>
      path.kind === 'relay' ? `${path.input.codec} relayed` : `${path.input.codec} → ${to}`,
    );
    log.info(
      { stream: name, source: source.name },
      `"${name}" publishes "${source.name}" with its audio in ${to} (${kinds.join(', ') || 'no audio'})`,
    );
  }

  /**
   * Opens what one source audio track needs and returns the derived stream's track for it: the same
   * track when it is already in the target codec, the converter's output, or undefined when the audio
   * cannot be converted (left out, logged: the players still get the video).
   */
  private openPath(track: Track): Track | undefined {
    const { to, factory, log, name } = this.options;
    if (track.kind !== 'audio') return undefined;
    if (track.codec === to) {
      this.audio.set(track.id, { kind: 'relay', input: track });
      return track;
    }
    const reason =
      track.config === undefined && track.codec !== 'pcma' && track.codec !== 'pcmu'
        ? 'it has no decoder configuration'
        : factory.supports(track.codec, to)
          ? undefined
          : `the transcoder does not convert ${track.codec} to ${to}`;
    if (reason !== undefined) {
      log.warn(
        { stream: name, trackId: track.id },
        `"${name}" goes on without the ${track.codec} audio: ${reason}`,
      );
      return undefined;
    }
    const path: ConvertPath = {
      kind: 'convert',
      input: track,
      done: false,
      converter: new ConvertedAudio({
        input: track,
        to,
        factory,
        log: log.child({ stream: name, trackId: track.id, transcode: `${track.codec}->${to}` }),
        onFrame: (frame) => this.write(frame),
        onError: (error, fatal) => {
          if (!fatal) return;
          this.endPath(path);
          log.error(
            { stream: name, err: error },
            `"${name}" goes on with video only: its ${track.codec} audio cannot be converted (${errorMessage(error)})`,
          );
        },
      }),
    };
    this.audio.set(track.id, path);
    this.options.onConverting(1);
    return path.converter.output;
  }

  /** Copies the source to the derived stream until the source ends or `stop` closes the subscription. */
  private async relay(): Promise<void> {
    const { source, name, log } = this.options;
    try {
      for await (const event of this.subscription) {
        if (event.type === 'frame') this.onFrame(event.frame);
        else if (event.type === 'track') this.onTrack(event.track);
        else if (event.type === 'end') {
          // The converters flush what ffmpeg still holds before the derived stream ends.
          await Promise.all([...this.audio.values()].map((path) => this.closePath(path)));
          await this.stream.end(`source "${source.name}" ended: ${event.reason}`);
        }
      }
    } catch (error) {
      log.error({ stream: name, err: error }, `"${name}" stops: ${errorMessage(error)}`);
      this.subscription.close();
      for (const path of this.audio.values()) this.abortPath(path);
      await this.stream.end(`relay failed: ${errorMessage(error)}`);
    }
    if (!this.stopping) this.resolveEnded();
  }

  private onFrame(frame: Frame): void {
    const path = this.audio.get(frame.trackId);
    if (path?.kind === 'convert') path.converter.push(frame);
    else if (path !== undefined || this.stream.tracks.some((t) => t.id === frame.trackId)) this.write(frame);
  }

  /**
   * A track the source changed (a new sequence header): video passes on; audio whose codec or decoder
   * configuration changed gets a new converter (the old one is dropped, not flushed: a short gap).
   */
  private onTrack(track: Track): void {
    const previous = this.sourceTracks.get(track.id);
    this.sourceTracks.set(track.id, track);
    if (previous === track) return;
    if (track.kind === 'video') {
      this.stream.setTrack(track);
      return;
    }
    const path = this.audio.get(track.id);
    if (path !== undefined && sameAudio(path.input, track)) return;
    if (path !== undefined) {
      this.abortPath(path);
      this.audio.delete(track.id);
    }
    const output = this.openPath(track);
    const current = this.stream.tracks.find((t) => t.id === track.id);
    // Players re-initialise their decoder on a track event: only when the output really changed.
    if (output !== undefined && (current === undefined || !sameAudio(current, output)))
      this.stream.setTrack(output);
  }

  private write(frame: Frame): void {
    const stream = this.stream;
    if (stream === undefined || stream.ended) return;
    // Set once before the first frame (the bus refuses it later); the source may have learnt it only now.
    const origin = this.options.source.clockOriginMs;
    if (stream.framesWritten === 0 && origin !== undefined) stream.clockOriginMs = origin;
    stream.writeFrame(frame);
  }

  private async closePath(path: AudioPath): Promise<void> {
    if (path.kind !== 'convert' || path.done) return;
    await path.converter.close();
    this.endPath(path);
  }

  private abortPath(path: AudioPath): void {
    if (path.kind !== 'convert' || path.done) return;
    path.converter.abort();
    this.endPath(path);
  }

  private endPath(path: ConvertPath): void {
    if (path.done) return;
    path.done = true;
    this.options.onConverting(-1);
  }
}

/** Same codec, rate, channels and decoder configuration. */
function sameAudio(a: Track, b: Track): boolean {
  if (a.codec !== b.codec || a.kind !== b.kind) return false;
  if (
    a.kind === 'audio' &&
    b.kind === 'audio' &&
    (a.sampleRate !== b.sampleRate || a.channels !== b.channels)
  )
    return false;
  if (a.config === undefined || b.config === undefined) return a.config === b.config;
  return Buffer.from(a.config).equals(b.config);
}
