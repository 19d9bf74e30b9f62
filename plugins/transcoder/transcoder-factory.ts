import type { AudioCodec } from '../../core/index.js';
import type {
  AudioTranscoder,
  AudioTranscoderFactory,
  AudioTranscoderOptions,
} from '../../lib/transcode/audio-transcoder.js';
import { FfmpegTranscoder } from './ffmpeg-transcoder.js';
import type { TranscoderSettings } from './settings.js';
import { vorbisConfig } from './vorbis-headers.js';

/**
 * The conversions a container needs: WebRTC and RTSP audio into MP4/TS, RTMP audio into WebM, and Opus or
 * AAC into a WebM configured for Vorbis.
 */
const CONVERSIONS: ReadonlyArray<readonly [AudioCodec, AudioCodec]> = [
  ['opus', 'aac'],
  ['pcma', 'aac'],
  ['pcmu', 'aac'],
  ['aac', 'opus'],
  ['opus', 'vorbis'],
  ['aac', 'vorbis'],
];

/** The ffmpeg encoder each output codec needs. */
export const ENCODERS: Partial<Record<AudioCodec, string>> = {
  aac: 'aac',
  opus: 'libopus',
  vorbis: 'libvorbis',
};

export class FfmpegTranscoderFactory implements AudioTranscoderFactory {
  /** Encoders of the ffmpeg build, once probed at start; until then every conversion is offered. */
  encoders: ReadonlySet<string> | undefined;
  /** The Vorbis headers for the settings, made by prepareVorbis(); Vorbis output is offered once they are. */
  private vorbisConfig: Uint8Array | undefined;

  constructor(readonly settings: TranscoderSettings) {}

  /** Makes the Vorbis headers every Vorbis transcoder announces (one short ffmpeg run). */
  async prepareVorbis(): Promise<void> {
    this.vorbisConfig = await vorbisConfig(this.settings);
  }

  supports(from: AudioCodec, to: AudioCodec): boolean {
    const encoder = ENCODERS[to];
    return (
      CONVERSIONS.some(([a, b]) => a === from && b === to) &&
      encoder !== undefined &&
      (this.encoders === undefined || this.encoders.has(encoder)) &&
      (to !== 'vorbis' || this.vorbisConfig !== undefined)
    );
  }

  open(options: AudioTranscoderOptions): AudioTranscoder {
    if (!this.supports(options.input.codec, options.to)) {
      throw new Error(`the transcoder does not convert ${options.input.codec} to ${options.to}`);
    }
    return new FfmpegTranscoder(options, this.settings, this.vorbisConfig);
  }
}
