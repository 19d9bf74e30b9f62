/**
 * ADTS framing of AAC (ISO 14496-3 1.A.2): what MPEG-TS carries (stream type 0x0F) and what ffmpeg
 * reads and writes over a pipe, since raw AAC frames carry no lengths. The writer wraps raw frames;
 * the reader splits a byte stream back into raw frames.
 */
import * as aac from './aac.js';

const HEADER_BYTES = 7;
const MAX_FRAME_BYTES = 0x1fff;
const SBR_OBJECT_TYPES = new Set([5, 29]);

/** The fields of an AudioSpecificConfig that ADTS repeats in every header. */
interface AdtsFields {
  readonly profile: number;
  readonly frequencyIndex: number;
  readonly channelConfiguration: number;
}

function adtsFields(audioSpecificConfig: Uint8Array): AdtsFields {
  const config = aac.parseAudioSpecificConfig(audioSpecificConfig);
  const sbr = SBR_OBJECT_TYPES.has(config.objectType);
  if (config.objectType > 4 && !sbr)
    throw new Error(`ADTS cannot carry AAC object type ${config.objectType}`);
  // The raw 4-bit index and 3-bit configuration sit right after the 5-bit object type. HE-AAC is
  // signalled as AAC-LC at the core rate; decoders find the SBR data in-band.
  const frequencyIndex = ((audioSpecificConfig[0]! & 0x07) << 1) | (audioSpecificConfig[1]! >> 7);
  if (frequencyIndex === 15) throw new Error('ADTS cannot carry an explicit AAC sample rate');
  return {
    profile: sbr ? 1 : config.objectType - 1,
    frequencyIndex,
    channelConfiguration: (audioSpecificConfig[1]! >> 3) & 0x0f,
  };
}

/** Wraps raw AAC frames of one track in ADTS headers. */
export class AdtsWriter {
  private readonly fields: AdtsFields;

  constructor(audioSpecificConfig: Uint8Array) {
    this.fields = adtsFields(audioSpecificConfig);
  }

  /** The 7-byte header (no CRC) for a raw frame of `payloadBytes`. */
  header(payloadBytes: number): Uint8Array {
    const { profile, frequencyIndex, channelConfiguration } = this.fields;
    const length = HEADER_BYTES + payloadBytes;
    if (length > MAX_FRAME_BYTES) throw new Error(`AAC frame of ${payloadBytes} bytes is too large for ADTS`);
    return Uint8Array.of(
      0xff,
      0xf1, // sync, MPEG-4, layer 0, no CRC
      (profile << 6) | (frequencyIndex << 2) | (channelConfiguration >> 2),
      ((channelConfiguration & 0x03) << 6) | (length >> 11),
      (length >> 3) & 0xff,
      ((length & 0x07) << 5) | 0x1f, // buffer fullness 0x7FF: variable bit rate
      0xfc, // one raw data block
    );
  }

  /** The raw frame with its header. */
  frame(raw: Uint8Array): Uint8Array {
    const frame = new Uint8Array(HEADER_BYTES + raw.length);
    frame.set(this.header(raw.length));
    frame.set(raw, HEADER_BYTES);
    return frame;
  }
}

/**
 * Raw AAC-LC frames that decode to 1024 samples of silence at any sample rate (a channel element
 * with no scale-factor bands), by channel count. Used to fill gaps in AAC input.
 */
const SILENT_FRAMES: Readonly<Record<number, Uint8Array>> = {
  1: Uint8Array.of(0x00, 0xc8, 0x00, 0x80, 0x23, 0x80),
  2: Uint8Array.of(0x21, 0x00, 0x49, 0x90, 0x02, 0x19, 0x00, 0x23, 0x80),
};

/** A silent raw frame for this AudioSpecificConfig, or undefined when there is none (not AAC-LC mono/stereo). */
export function silentAacFrame(audioSpecificConfig: Uint8Array): Uint8Array | undefined {
  const config = aac.parseAudioSpecificConfig(audioSpecificConfig);
  return config.objectType === 2 && config.samplesPerFrame === 1024
    ? SILENT_FRAMES[config.channels]
    : undefined;
}

/** Splits a byte stream of ADTS frames into raw frames, whatever the chunking of the pipe. */
export class AdtsReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly expected: AdtsFields;

  /** Throws when the stream loses ADTS sync or a frame's format is not the one `audioSpecificConfig` says. */
  constructor(audioSpecificConfig: Uint8Array) {
    this.expected = adtsFields(audioSpecificConfig);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= HEADER_BYTES) {
      const header = this.buffered.subarray(offset, offset + HEADER_BYTES);
      if (header[0] !== 0xff || (header[1]! & 0xf6) !== 0xf0) throw new Error('ADTS: lost frame sync');
      const length = ((header[3]! & 0x03) << 11) | (header[4]! << 3) | (header[5]! >> 5);
      const headerBytes = header[1]! & 0x01 ? HEADER_BYTES : HEADER_BYTES + 2; // + CRC
      if (length < headerBytes) throw new Error(`ADTS: frame length ${length} is shorter than its header`);
      if (this.buffered.length - offset < length) break;
      if ((header[6]! & 0x03) !== 0) throw new Error('ADTS: several raw data blocks in one frame');
      this.check(header);
      frames.push(new Uint8Array(this.buffered.subarray(offset + headerBytes, offset + length)));
      offset += length;
    }
    this.buffered = Buffer.from(this.buffered.subarray(offset));
    return frames;
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  /** The output track's decoder config was announced up front: a frame that differs would not decode with it. */
  private check(header: Uint8Array): void {
    const actual: AdtsFields = {
      profile: header[2]! >> 6,
      frequencyIndex: (header[2]! >> 2) & 0x0f,
      channelConfiguration: ((header[2]! & 0x01) << 2) | (header[3]! >> 6),
    };
    const { profile, frequencyIndex, channelConfiguration } = this.expected;
    if (
      actual.profile !== profile ||
      actual.frequencyIndex !== frequencyIndex ||
      actual.channelConfiguration !== channelConfiguration
    ) {
      throw new Error(
        `ADTS: ffmpeg wrote ${JSON.stringify(actual)}, expected ${JSON.stringify(this.expected)}`,
      );
    }
  }
}
