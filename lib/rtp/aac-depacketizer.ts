import { isNextSequence, type RtpPacket } from './rtp.js';

/** One raw AAC frame and its RTP timestamp. */
export interface AacFrame {
  readonly timestamp: number;
  readonly data: Buffer;
}

/** The fmtp parameters of MPEG4-GENERIC that shape the AU headers (RFC 3640 §4.1). */
export interface AuHeaderLayout {
  readonly sizeLength: number;
  readonly indexLength: number;
  readonly indexDeltaLength: number;
}

/** Reads the layout from fmtp; throws (with the reason) when it has fields this ingest does not read. */
export function auHeaderLayout(parameters: ReadonlyMap<string, string>): AuHeaderLayout {
  const number = (name: string) => Number(parameters.get(name) ?? 0);
  for (const name of [
    'ctsdeltalength',
    'dtsdeltalength',
    'randomaccessindication',
    'streamstateindication',
  ]) {
    if (number(name) !== 0) throw new Error(`MPEG4-GENERIC with ${name} is not supported`);
  }
  const layout = {
    sizeLength: number('sizelength'),
    indexLength: number('indexlength'),
    indexDeltaLength: number('indexdeltalength'),
  };
  if (
    layout.sizeLength < 1 ||
    layout.sizeLength > 16 ||
    layout.indexLength > 8 ||
    layout.indexDeltaLength > 8
  ) {
    throw new Error(`unsupported AU header layout ${JSON.stringify(layout)} (AAC-hbr is sizelength=13)`);
  }
  return layout;
}

/**
 * RFC 3640 MPEG4-GENERIC (AAC-hbr, AAC-lbr): AU headers, then the access units; several frames
 * per packet (frame i at timestamp + i × samplesPerFrame), or one frame fragmented over packets
 * (until the marker bit). A fragment after a lost packet is dropped with the rest of its frame.
 */
export class AacDepacketizer {
  private fragments: Buffer[] | undefined;
  private fragmentBytes = 0;
  private fragmentSize = 0;
  private fragmentTimestamp = 0;
  private lastSequence: number | undefined;

  constructor(
    private readonly layout: AuHeaderLayout,
    private readonly samplesPerFrame: number,
    private readonly maxFrameBytes: number,
    private readonly problem: (what: string) => void = () => {},
  ) {}

  push(packet: RtpPacket): AacFrame[] {
    if (!isNextSequence(this.lastSequence, packet.sequence)) this.fragments = undefined;
    this.lastSequence = packet.sequence;
    const sizes = this.auSizes(packet.payload);
    if (sizes === undefined) return [];
    const { lengths, dataOffset } = sizes;
    const available = packet.payload.length - dataOffset;
    const sameFrame =
      packet.timestamp === this.fragmentTimestamp && lengths.length === 1 && lengths[0] === this.fragmentSize;
    if (this.fragments !== undefined && !sameFrame) {
      this.fragments = undefined;
      this.problem('AAC fragment of another frame (the end of the previous one was lost)');
    }
    if (this.fragments !== undefined || (lengths.length === 1 && lengths[0]! > available)) {
      return this.fragment(packet, lengths[0]!, packet.payload.subarray(dataOffset));
    }
    const frames: AacFrame[] = [];
    let offset = dataOffset;
    for (const [i, length] of lengths.entries()) {
      if (offset + length > packet.payload.length) {
        this.problem('AAC access unit overruns its packet');
        break;
      }
      const data = packet.payload.subarray(offset, offset + length);
      frames.push({ timestamp: (packet.timestamp + i * this.samplesPerFrame) >>> 0, data });
      offset += length;
    }
    return frames;
  }

  /** The AU sizes and where the first AU starts; undefined (and a problem) when malformed. */
  private auSizes(payload: Buffer): { lengths: number[]; dataOffset: number } | undefined {
    if (payload.length < 2) return void this.problem('MPEG4-GENERIC packet cut short');
    const headerBits = payload.readUInt16BE(0);
    const headerBytes = Math.ceil(headerBits / 8);
    if (2 + headerBytes > payload.length) return void this.problem('AU headers overrun the packet');
    const { sizeLength, indexLength, indexDeltaLength } = this.layout;
    const lengths: number[] = [];
    let bit = 16;
    const end = 16 + headerBits;
    while (bit + sizeLength + (lengths.length === 0 ? indexLength : indexDeltaLength) <= end) {
      lengths.push(readBits(payload, bit, sizeLength));
      bit += sizeLength + (lengths.length === 1 ? indexLength : indexDeltaLength);
    }
    if (lengths.length === 0) return void this.problem('MPEG4-GENERIC packet without an AU header');
    return { lengths, dataOffset: 2 + headerBytes };
  }

  private fragment(packet: RtpPacket, size: number, data: Buffer): AacFrame[] {
    if (this.fragments === undefined) {
      if (size > this.maxFrameBytes) {
        this.problem(`AAC frame over ${this.maxFrameBytes} bytes`);
        return [];
      }
      this.fragments = [];
      this.fragmentBytes = 0;
      this.fragmentSize = size;
      this.fragmentTimestamp = packet.timestamp;
    }
    this.fragments.push(data);
    this.fragmentBytes += data.length;
    if (!packet.marker && this.fragmentBytes < this.fragmentSize) return [];
    const frame = Buffer.concat(this.fragments, this.fragmentBytes);
    this.fragments = undefined;
    if (frame.length !== this.fragmentSize) {
      this.problem('AAC fragments do not add up to the size in their AU header');
      return [];
    }
    return [{ timestamp: this.fragmentTimestamp, data: frame }];
  }
}

/** Reads `count` (≤ 16) bits, most significant first, starting at bit `offset`. */
function readBits(buffer: Buffer, offset: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const bit = offset + i;
    value = (value << 1) | ((buffer[bit >> 3]! >> (7 - (bit & 7))) & 1);
  }
  return value;
}
