import { BitReader } from './bit-reader.js';

const SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

export interface AacConfig {
  readonly objectType: number;
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per frame: 1024 (960 is not used by any source Spool meets). */
  readonly samplesPerFrame: number;
}

/** Parses an AudioSpecificConfig (ISO 14496-3). */
export function parseAudioSpecificConfig(config: Uint8Array): AacConfig {
  if (config.length < 2) throw new Error('AudioSpecificConfig too short');
  const r = new BitReader(config);
  let objectType = r.bits(5);
  if (objectType === 31) objectType = 32 + r.bits(6);
  const rateIndex = r.bits(4);
  const sampleRate = rateIndex === 15 ? r.bits(24) : SAMPLE_RATES[rateIndex];
  if (sampleRate === undefined || sampleRate === 0) throw new Error(`bad AAC sample rate index ${rateIndex}`);
  const channels = r.bits(4);
  if (channels === 0 || channels > 7) throw new Error(`unsupported AAC channel configuration ${channels}`);
  const frameLengthFlag = objectType === 1 || objectType === 2 || objectType === 4 ? r.bit() : 0;
  return {
    objectType,
    sampleRate,
    channels: channels === 7 ? 8 : channels,
    samplesPerFrame: frameLengthFlag ? 960 : 1024,
  };
}

/** Builds a 2-byte AudioSpecificConfig for AAC-LC. */
export function buildAudioSpecificConfig(sampleRate: number, channels: number, objectType = 2): Uint8Array {
  const index = SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0) throw new Error(`no AAC sample rate index for ${sampleRate} Hz`);
  return Uint8Array.of((objectType << 3) | (index >> 1), ((index & 1) << 7) | (channels << 3));
}

/** RFC 6381 codec string, e.g. mp4a.40.2. */
export function aacCodecString(config: AacConfig): string {
  return `mp4a.40.${config.objectType}`;
}
