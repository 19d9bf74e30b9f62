import type { AudioCodec, AudioTrack, Frame, Logger, Track } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import type { AudioTranscoder, AudioTranscoderFactory, ContainerWriter } from './api.js';

/** How many times one recording restarts a failed transcoder before it gives up on the recording. */
export const MAX_TRANSCODER_RESTARTS = 3;

/** What goes into the file for each stream track: as is, converted, or left out (with the reason). */
export interface TrackPlan {
  /** The tracks the writer opens the file with (converted audio replaces its source). */
  readonly fileTracks: Track[];
  /** Source audio track id → the codec it is converted to. */
  readonly conversions: Map<number, { readonly input: AudioTrack; readonly to: AudioCodec }>;
  /** Tracks left out, with why (logged by the recording). */
  readonly leftOut: { readonly track: Track; readonly reason: string }[];
}

/** Tracks that cannot be decoded without a decoder configuration (VP8 and G.711 need none). */
export function needsConfig(track: Track): boolean {
  return track.codec === 'h264' || track.codec === 'aac' || track.codec === 'opus';
}

/**
 * Decides which tracks the file gets. Audio the container cannot hold is converted to the container's
 * preferred audio codec when a transcoder supports it, else left out so the video is still recorded.
 */
export function planTracks(
  tracks: readonly Track[],
  writer: ContainerWriter,
  factories: readonly AudioTranscoderFactory[],
): TrackPlan {
  const plan: TrackPlan = { fileTracks: [], conversions: new Map(), leftOut: [] };
  for (const track of tracks) {
    if (needsConfig(track) && track.config === undefined) {
      plan.leftOut.push({ track, reason: 'it has no decoder configuration' });
      continue;
    }
    if (track.kind === 'video' || writer.audioCodecs.includes(track.codec)) {
      plan.fileTracks.push(track);
      continue;
    }
    const to = writer.audioCodecs[0];
    const factory = to === undefined ? undefined : factories.find((f) => f.supports(track.codec, to));
    if (to === undefined || factory === undefined) {
      plan.leftOut.push({
        track,
        reason:
          to === undefined
            ? `${writer.container} holds no audio`
            : `${writer.container} records ${writer.audioCodecs.join('/')} audio, not ${track.codec}, and no ` +
              `transcoder converts ${track.codec} to ${to} (enable the transcoder plugin)`,
      });
      continue;
    }
    plan.conversions.set(track.id, { input: track, to });
    plan.fileTracks.push(outputPlaceholder(track, to));
  }
  return plan;
}

/**
 * Stand-in for the converted track until the transcoder is opened: same id, the target codec. The
 * recording replaces it with the transcoder's `output` (which carries the decoder configuration).
 */
function outputPlaceholder(track: AudioTrack, to: AudioCodec): AudioTrack {
  return { ...track, codec: to };
}

export interface ConvertedAudioOptions {
  readonly input: AudioTrack;
  readonly to: AudioCodec;
  readonly factory: AudioTranscoderFactory;
  readonly log: Logger;
  /** Each converted frame (trackId = the source track's id), in order. */
  readonly onFrame: (frame: Frame) => void;
  /** A failure the error policy counts; `fatal` once the restarts are used up. */
  readonly onError: (error: Error, fatal: boolean) => void;
}

/**
 * One converted audio track of a recording. A transcoder that fails is replaced by a new one (its
 * output continues from the next input frame, so the file has a short gap, not a shift); after
 * MAX_TRANSCODER_RESTARTS failures the track reports a fatal error and drops its input.
 */
export class ConvertedAudio {
  private transcoder: AudioTranscoder;
  private restarts = 0;
  private failed = false;
  /** The input has ended: a transcoder failing now is not replaced (there is nothing left to convert). */
  private closing = false;
  private lastPts = -Infinity;

  constructor(private readonly options: ConvertedAudioOptions) {
    this.transcoder = this.openTranscoder();
  }

  /** The converted track with its decoder configuration. */
  get output(): AudioTrack {
    return { ...this.transcoder.output, id: this.options.input.id };
  }

  push(frame: Frame): void {
    if (!this.failed) this.transcoder.push(frame);
  }

  async close(): Promise<void> {
    if (this.failed) return;
    this.closing = true;
    await this.transcoder.close();
  }

  abort(): void {
    this.failed = true;
    this.transcoder.abort();
  }

  private openTranscoder(): AudioTranscoder {
    const { input, to, factory, log } = this.options;
    let reported = false;
    const transcoder = factory.open({
      input,
      to,
      log,
      onFrame: (frame) => {
        if (transcoder !== this.transcoder || frame.pts <= this.lastPts) return;
        this.lastPts = frame.pts;
        this.options.onFrame({ ...frame, trackId: input.id });
      },
      onError: (error) => {
        if (reported || transcoder !== this.transcoder) return;
        reported = true;
        this.onTranscoderError(error);
      },
    });
    return transcoder;
  }

  private onTranscoderError(error: Error): void {
    const { input, to, log } = this.options;
    this.transcoder.abort();
    if (this.closing) {
      // Finishing: a new transcoder would get no input, and the recording waits for this one only.
      this.failed = true;
      log.warn(
        { err: error },
        `${input.codec} → ${to} transcoding failed while finishing (${errorMessage(error)}); ` +
          'the audio it still held is missing at the end of the file',
      );
      this.options.onError(error, false);
      return;
    }
    if (this.restarts >= MAX_TRANSCODER_RESTARTS) {
      this.failed = true;
      log.error(
        { err: error },
        `${input.codec} → ${to} transcoding failed ${this.restarts + 1} times; giving up: ${errorMessage(error)}`,
      );
      this.options.onError(error, true);
      return;
    }
    this.restarts++;
    log.warn(
      { err: error },
      `${input.codec} → ${to} transcoding failed (${errorMessage(error)}); restarting it (${this.restarts}/${MAX_TRANSCODER_RESTARTS})`,
    );
    this.options.onError(error, false);
    this.transcoder = this.openTranscoder();
  }
}
