/**
 * The contract of an audio converter: the recorder uses one for audio its container cannot hold, the
 * transcoder plugin's shared conversions for players use one per derived stream, and the transcoder plugin
 * implements it with ffmpeg. It lives here, not in either plugin, so both users share `ConvertedAudio`.
 */
import type { AudioCodec, AudioTrack, Frame, Logger } from '../../core/index.js';

/**
 * Converts one audio track to another codec. `push` never blocks its caller: input is queued, and
 * converted frames arrive through `onFrame` with timestamps continuous from the first input frame's
 * pts, in the output track's timescale.
 */
export interface AudioTranscoder {
  /** The converted track, decoder configuration included, known before the first frame. */
  readonly output: AudioTrack;
  /** Queues one input frame (in decode order). */
  push(frame: Frame): void;
  /** Flushes the converter; resolves after the last converted frame was passed to onFrame. */
  close(): Promise<void>;
  /** Stops at once without flushing (the recording failed or is being torn down). */
  abort(): void;
}

export interface AudioTranscoderOptions {
  readonly input: AudioTrack;
  readonly to: AudioCodec;
  readonly log: Logger;
  /** Each converted frame, in order; the recorder writes it to the file. */
  readonly onFrame: (frame: Frame) => void;
  /**
   * The converter failed (helper process died, stalled or printed an error). Called once; no frames
   * follow. The recorder counts it as a recording error.
   */
  readonly onError: (error: Error) => void;
}

export interface AudioTranscoderFactory {
  /** Whether this factory converts `from` into `to`. */
  supports(from: AudioCodec, to: AudioCodec): boolean;
  open(options: AudioTranscoderOptions): AudioTranscoder;
}
