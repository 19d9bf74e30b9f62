import type { AudioCodec } from '../../core/index.js';
import type { AudioTranscoder, AudioTranscoderFactory, AudioTranscoderOptions } from '../recorder/api.js';
import { FfmpegTranscoder } from './ffmpeg-transcoder.js';
import type { TranscoderSettings } from './settings.js';

/** The conversions a container needs: WebRTC and RTSP audio into MP4/TS, RTMP audio into WebM. */
const CONVERSIONS: ReadonlyArray<readonly [AudioCodec, AudioCodec]> = [
  ['opus', 'aac'],
  ['pcma', 'aac'],
  ['pcmu', 'aac'],
  ['aac', 'opus'],
];

/** The ffmpeg encoder each output codec needs. */
const ENCODERS: Partial<Record<AudioCodec, string>> = { aac: 'aac', opus: 'libopus' };

export class FfmpegTranscoderFactory implements AudioTranscoderFactory {
  /** Encoders of the ffmpeg build, once probed at start; until then every conversion is offered. */
  encoders: ReadonlySet<string> | undefined;

  constructor(readonly settings: TranscoderSettings) {}

  supports(from: AudioCodec, to: AudioCodec): boolean {
    const encoder = ENCODERS[to];
    return (
      CONVERSIONS.some(([a, b]) => a === from && b === to) &&
      encoder !== undefined &&
      (this.encoders === undefined || this.encoders.has(encoder))
    );
  }

  open(options: AudioTranscoderOptions): AudioTranscoder {
    if (!this.supports(options.input.codec, options.to)) {
      throw new Error(`the transcoder does not convert ${options.input.codec} to ${options.to}`);
    }
    return new FfmpegTranscoder(options, this.settings);
  }
}
