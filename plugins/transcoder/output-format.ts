/**
 * What ffmpeg writes to stdout for each output codec, and the output track announced before the first
 * frame: AAC-LC in ADTS (its AudioSpecificConfig built from the configured rate and channels), Opus in
 * Ogg pages of one packet each (its OpusHead built with libopus's encoder delay as pre-skip), or Vorbis
 * in Ogg (its headers made ahead of time, see vorbis-output.ts).
 */
import { type AudioCodec, type AudioTrack } from '../../core/index.js';
import { aac, opus } from '../../lib/codecs/index.js';
import { AdtsReader } from '../../lib/codecs/adts.js';
import { OggPacketReader } from './ogg.js';
import type { TranscoderSettings } from './settings.js';
import { aacBitrate, opusBitrate } from './settings.js';
import { vorbisOutput } from './vorbis-output.js';

export interface OutputPacket {
  readonly data: Uint8Array;
  /** Samples it decodes to, in the output track's timescale. */
  readonly samples: number;
  /**
   * Samples before the first input sample at which the packet lies, when it decodes to nothing but primes
   * the decoder (a Vorbis stream's first packet); it is stamped that much before the first input pts.
   */
  readonly leadIn?: number;
}

export interface OutputFormat {
  readonly track: AudioTrack;
  /** ffmpeg options for the encoder and the framing of stdout (before `pipe:1`). */
  readonly ffmpegArgs: readonly string[];
  /**
   * Encoder packets to drop at the start: ffmpeg's AAC encoder emits a priming frame (1024 samples of
   * encoder delay, pts -1024) first; keeping it would put the audio 1024 samples late against video.
   */
  readonly leadingPacketsToDrop: number;
  /** Packets completed by a chunk of stdout; throws when ffmpeg writes something unexpected. */
  parse(chunk: Uint8Array): OutputPacket[];
  /** Bytes of an incomplete packet held back. */
  readonly pendingBytes: number;
}

const AAC_FRAME_SAMPLES = 1024;
const OPUS_RATE = 48000;
const OPUS_FRAME_MS = 20;
/** libopus's lookahead at 48 kHz with application=audio (2.5 ms + 4 ms delay compensation). */
export const LIBOPUS_PRE_SKIP = 312;

/** `vorbisConfig`: the Vorbis headers made ahead for these settings (vorbis-headers.ts), for Vorbis output. */
export function outputFormatFor(
  to: AudioCodec,
  input: AudioTrack,
  settings: TranscoderSettings,
  warn: (message: string) => void,
  vorbisConfig?: Uint8Array,
): OutputFormat {
  if (to === 'aac') return aacOutput(input, settings);
  if (to === 'opus') return opusOutput(input, settings, warn);
  if (to === 'vorbis' && vorbisConfig !== undefined) return vorbisOutput(input, settings, vorbisConfig);
  throw new Error(`the transcoder cannot encode ${to}`);
}

function aacOutput(input: AudioTrack, settings: TranscoderSettings): OutputFormat {
  const { sampleRate: rate, channels } = settings;
  const config = aac.buildAudioSpecificConfig(rate, channels);
  const reader = new AdtsReader(config);
  return {
    track: { id: input.id, kind: 'audio', codec: 'aac', timescale: rate, sampleRate: rate, channels, config },
    ffmpegArgs: [
      ...['-c:a', 'aac', '-b:a', String(aacBitrate(settings.aacBitrateMode, channels, rate))],
      ...['-ar', String(rate), '-ac', String(channels), '-f', 'adts'],
    ],
    leadingPacketsToDrop: 1,
    parse: (chunk) => reader.push(chunk).map((data) => ({ data, samples: AAC_FRAME_SAMPLES })),
    get pendingBytes() {
      return reader.pendingBytes;
    },
  };
}

function opusOutput(
  input: AudioTrack,
  settings: TranscoderSettings,
  warn: (message: string) => void,
): OutputFormat {
  const { channels } = settings;
  const head = { channels, preSkip: LIBOPUS_PRE_SKIP, inputSampleRate: input.sampleRate };
  const reader = new OggPacketReader();
  return {
    track: {
      ...{
        id: input.id,
        kind: 'audio',
        codec: 'opus',
        timescale: OPUS_RATE,
        sampleRate: OPUS_RATE,
        channels,
      },
      config: opus.buildOpusHead(head),
    },
    ffmpegArgs: [
      ...['-c:a', 'libopus', '-b:a', String(opusBitrate(channels)), '-application', 'audio'],
      ...['-frame_duration', String(OPUS_FRAME_MS), '-ar', String(OPUS_RATE), '-ac', String(channels)],
      // One packet per Ogg page, so each packet leaves ffmpeg as soon as it is encoded.
      ...['-f', 'ogg', '-page_duration', String(OPUS_FRAME_MS * 1000)],
    ],
    leadingPacketsToDrop: 0,
    parse(chunk) {
      const packets: OutputPacket[] = [];
      for (const data of reader.push(chunk)) {
        if (startsWith(data, 'OpusTags')) continue;
        if (startsWith(data, 'OpusHead')) {
          const actual = opus.parseOpusHead(data);
          if (actual.channels !== channels) throw new Error(`ffmpeg wrote ${actual.channels}-channel Opus`);
          if (actual.preSkip !== head.preSkip) {
            warn(`libopus pre-skip is ${actual.preSkip}, the output track says ${head.preSkip}`);
          }
          continue;
        }
        packets.push({ data, samples: opus.opusPacketSamples(data) });
      }
      return packets;
    },
    get pendingBytes() {
      return reader.pendingBytes;
    },
  };
}

function startsWith(data: Uint8Array, magic: string): boolean {
  return (
    data.length >= magic.length && Buffer.from(data.subarray(0, magic.length)).toString('latin1') === magic
  );
}
