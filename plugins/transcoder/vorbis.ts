/**
 * Vorbis facts the transcoder needs (Vorbis I specification): the three header packets, stored together
 * Xiph-laced as Matroska's CodecPrivate holds them, and how many samples each audio packet decodes to.
 */
import { BitReader } from '../../lib/codecs/bit-reader.js';
import { isVorbisHeader, type VorbisHeaders } from '../../lib/codecs/vorbis.js';

export { isVorbisHeader, xiphLace, xiphUnlace, type VorbisHeaders } from '../../lib/codecs/vorbis.js';

export interface VorbisIdentification {
  readonly channels: number;
  readonly sampleRate: number;
  /** The short and the long block size, in samples. */
  readonly blockSizes: readonly [number, number];
}

/** A mode in the setup header: block flag (1), window type (16), transform type (16), mapping (8). */
const MODE_BITS = 41;

export function parseIdentification(packet: Uint8Array): VorbisIdentification {
  if (!isVorbisHeader(packet, 'identification') || packet.length < 30) {
    throw new Error('not a Vorbis identification header');
  }
  const bytes = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  const sizes = bytes[28]!;
  return {
    channels: bytes[11]!,
    sampleRate: bytes.readUInt32LE(12),
    blockSizes: [1 << (sizes & 0x0f), 1 << (sizes >> 4)],
  };
}

/**
 * The block flag (short 0, long 1) of each mode, from the end of the setup header. The modes are its last
 * fields, but the codebooks before them have no length to skip by: read backwards from the framing bit
 * and take the longest run of well-formed mode entries whose count matches — what ffmpeg's and liboggz's
 * Vorbis parsers do.
 */
export function modeBlockFlags(setup: Uint8Array): number[] {
  // Vorbis packs bits LSB first: read the reversed bytes MSB first to walk the bits backwards.
  const reversed = Uint8Array.from(setup).reverse();
  const reader = new BitReader(reversed);
  let framingBits = 0;
  while (reader.bitsLeft > 97) {
    framingBits++;
    if (reader.bit() === 1) break;
  }
  let modes = 0;
  for (let count = 1; reader.bitsLeft >= 97 && count <= 64; count++) {
    // A mode, read backwards: mapping (8 bits, < 64), transform type and window type (16 bits, 0), block flag.
    if (reader.bits(8) > 63 || reader.bits(16) !== 0 || reader.bits(16) !== 0) break;
    reader.skip(1);
    const countField = new BitReader(reversed);
    countField.skip(framingBits + count * MODE_BITS);
    if (countField.bits(6) + 1 === count) modes = count;
  }
  if (modes === 0) throw new Error('Vorbis setup header: no modes found');
  const flags = new BitReader(reversed);
  flags.skip(framingBits);
  const blockFlags: number[] = [];
  for (let i = 0; i < modes; i++) {
    flags.skip(MODE_BITS - 1);
    blockFlags.unshift(flags.bit());
  }
  return blockFlags;
}

export interface VorbisPacketTiming {
  /** Samples the packet decodes to: a quarter of the previous block plus a quarter of its own. */
  readonly samples: number;
  /**
   * The first packet of a stream decodes to nothing (its block only overlaps the next one): it lies as
   * many samples before the stream's first sample as it would have decoded to, where ffmpeg stamps it.
   * 0 for every other packet.
   */
  readonly leadIn: number;
}

/** Timing of each audio packet of one Vorbis stream, from its headers; packets must come in order. */
export class VorbisPacketClock {
  private readonly blockSizes: readonly [number, number];
  private readonly blockFlags: number[];
  private readonly modeBits: number;
  private previousBlock: number | undefined;

  constructor(headers: VorbisHeaders) {
    this.blockSizes = parseIdentification(headers.identification).blockSizes;
    this.blockFlags = modeBlockFlags(headers.setup);
    this.modeBits = Math.ceil(Math.log2(this.blockFlags.length));
  }

  next(packet: Uint8Array): VorbisPacketTiming {
    const first = packet[0];
    if (first === undefined || (first & 1) !== 0) throw new Error('not a Vorbis audio packet');
    const mode = (first >> 1) & ((1 << this.modeBits) - 1);
    const flag = this.blockFlags[mode];
    if (flag === undefined) {
      throw new Error(`Vorbis packet of mode ${mode}; the setup header has ${this.blockFlags.length}`);
    }
    const block = this.blockSizes[flag as 0 | 1];
    // A long block names the window before it (the bit after the mode); before a stream's first short
    // block, a short one is assumed (as ffmpeg's parser does).
    const namedPrevious = flag === 1 ? this.blockSizes[(first >> (1 + this.modeBits)) & 1] : undefined;
    const previous = namedPrevious ?? this.previousBlock ?? this.blockSizes[0];
    const samples = (previous + block) / 4;
    const isFirst = this.previousBlock === undefined;
    this.previousBlock = block;
    return isFirst ? { samples: 0, leadIn: samples } : { samples, leadIn: 0 };
  }
}
