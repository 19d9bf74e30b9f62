/**
 * One converted audio track that survives its converter failing: the recorder converts audio its container
 * cannot hold with it, and the transcoder plugin converts the audio of a derived stream for players.
 */
import { errorMessage, type AudioCodec, type AudioTrack, type Frame, type Logger } from '../../core/index.js';
import type { AudioTranscoder, AudioTranscoderFactory } from './audio-transcoder.js';

/** How many times one converted track restarts a failed transcoder before it gives up. */
export const MAX_TRANSCODER_RESTARTS = 3;

export interface ConvertedAudioOptions {
  readonly input: AudioTrack;
  readonly to: AudioCodec;
  readonly factory: AudioTranscoderFactory;
  readonly log: Logger;
  /** Each converted frame (trackId = the source track's id), in order. */
  readonly onFrame: (frame: Frame) => void;
  /** Each failure (the recorder's error policy counts them); `fatal` once the restarts are used up. */
  readonly onError: (error: Error, fatal: boolean) => void;
}

/**
 * One converted audio track. A transcoder that fails is replaced by a new one (its output continues
 * from the next input frame, so the audio has a short gap, not a shift); after MAX_TRANSCODER_RESTARTS
 * failures the track reports a fatal error and drops its input.
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
      // Finishing: a new transcoder would get no input, and the caller waits for this one only.
      this.failed = true;
      log.warn(
        { err: error },
        `${input.codec} → ${to} transcoding failed while finishing (${errorMessage(error)}); ` +
          'the audio it still held is missing at the end',
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
