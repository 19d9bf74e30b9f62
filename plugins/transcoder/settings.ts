/** What a transcoder needs from the plugin's config, and the bitrates it derives from it. */

export interface TranscoderSettings {
  readonly ffmpegPath: string;
  /** record_audio_codec_sample_rate: AAC and Vorbis output rate (Opus output is always 48 kHz). */
  readonly sampleRate: number;
  /** record_audio_codec_channels: output channels, 1 or 2. */
  readonly channels: number;
  /** record_fdk_aac_bitrate_mode: 0 = CBR, 1–5 = VBR modes of libfdk-aac. */
  readonly aacBitrateMode: number;
  /** No output for this long while input is queued = ffmpeg stalled. */
  readonly stallTimeoutMs: number;
  /** After the input ended, ffmpeg is killed if it has not finished within this. */
  readonly closeTimeoutMs: number;
  /** Input waiting for ffmpeg beyond this = ffmpeg cannot keep up. */
  readonly queueLimitBytes: number;
  /** Gaps in the input up to this long are filled with silence; longer ones shift the output clock. */
  readonly maxSilenceFillMs: number;
  /** Input is written to ffmpeg in batches of this much audio (ms); 0 = every frame at once. */
  readonly inputBatchMs: number;
  /** Added to each ffmpeg's nice value (0 = as Spool): under CPU shortage ingest wins over transcoding. */
  readonly niceness: number;
}

/**
 * ffmpeg's native AAC encoder has no VBR modes; each libfdk-aac mode maps to the bitrate per channel
 * that libfdk's mode gives for AAC-LC (its documented ranges: 1 ≈ 32, 2 ≈ 40, 3 ≈ 48–56, 4 ≈ 64–72,
 * 5 ≈ 96–112 kbps per channel; the upper ends). Mode 0 (CBR) is 64 kbps per channel, 128 kbps stereo.
 */
export const AAC_KBPS_PER_CHANNEL: readonly number[] = [64, 32, 40, 56, 72, 112];

/** Opus output: 48 kbps per channel, about what libopus picks by itself for 48 kHz audio. */
export const OPUS_KBPS_PER_CHANNEL = 48;

/** AAC bitrate in bit/s, capped at what ffmpeg's encoder accepts (6144 bits per channel per frame). */
export function aacBitrate(mode: number, channels: number, sampleRate: number): number {
  const perChannelKbps = AAC_KBPS_PER_CHANNEL[mode];
  if (perChannelKbps === undefined) throw new Error(`AAC bitrate mode ${mode} is not 0–5`);
  const maxPerChannel = Math.floor((6144 * sampleRate) / 1024);
  return Math.min(perChannelKbps * 1000, maxPerChannel) * channels;
}

/**
 * Vorbis output: libvorbis VBR quality 4 of -1 … 10, about 64 kb/s per channel at 44.1 or 48 kHz (libvorbis
 * documents q4 as ≈ 128 kb/s stereo). A fixed quality keeps the headers the same for every transcoder.
 */
export const VORBIS_QUALITY = 4;

export function opusBitrate(channels: number): number {
  return OPUS_KBPS_PER_CHANNEL * 1000 * channels;
}
