/**
 * Ogg framing (RFC 3533), just enough to talk to ffmpeg over pipes: a page writer that puts each packet
 * on its own page (so ffmpeg sees every packet as soon as it is written) and a streaming reader that
 * turns ffmpeg's pages back into packets.
 */

import { crc32Ogg } from '../../lib/codecs/crc32.js';

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const HEADER_BYTES = 27;
const CRC_OFFSET = 22;
const MAX_SEGMENTS = 255;
export const OGG_CONTINUED = 0x01;
export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

/** Writes one logical stream, one packet per page. */
export class OggPageWriter {
  private sequence = 0;

  constructor(private readonly serial: number) {}

  /** A page holding exactly `packet`; `granule` is the stream position at the packet's end. */
  page(packet: Uint8Array, granule: number, flags = 0): Uint8Array {
    const lacing: number[] = [];
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
    if (lacing.length > MAX_SEGMENTS) throw new Error(`Ogg packet of ${packet.length} bytes needs two pages`);
    const page = Buffer.alloc(HEADER_BYTES + lacing.length + packet.length);
    page.set(CAPTURE, 0);
    page[4] = 0; // version
    page[5] = flags;
    page.writeBigInt64LE(BigInt(granule), 6);
    page.writeUInt32LE(this.serial, 14);
    page.writeUInt32LE(this.sequence++, 18);
    page[26] = lacing.length;
    page.set(lacing, HEADER_BYTES);
    page.set(packet, HEADER_BYTES + lacing.length);
    page.writeUInt32LE(crc32Ogg(page), CRC_OFFSET);
    return page;
  }
}

/**
 * Turns a byte stream of Ogg pages (one logical stream) into packets, whatever the chunking of the
 * pipe. Throws on a page that is not Ogg or fails its CRC: ffmpeg wrote something else.
 */
export class OggPacketReader {
  private buffered: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];

  /** Packets completed by `chunk`, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const packets: Uint8Array[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= HEADER_BYTES) {
      const page = this.buffered.subarray(offset);
      if (!CAPTURE.every((byte, i) => page[i] === byte)) throw new Error('Ogg: lost page sync');
      const segments = page[26]!;
      if (page.length < HEADER_BYTES + segments) break;
      const lacing = page.subarray(HEADER_BYTES, HEADER_BYTES + segments);
      const bodyBytes = lacing.reduce((sum, value) => sum + value, 0);
      const pageBytes = HEADER_BYTES + segments + bodyBytes;
      if (page.length < pageBytes) break;
      checkCrc(page.subarray(0, pageBytes));
      if ((page[5]! & OGG_CONTINUED) === 0) this.partial = [];
      let start = HEADER_BYTES + segments;
      let length = 0;
      for (const value of lacing) {
        length += value;
        if (value === 255) continue;
        this.partial.push(page.subarray(start, start + length));
        packets.push(new Uint8Array(Buffer.concat(this.partial)));
        this.partial = [];
        start += length;
        length = 0;
      }
      // A packet still open at the page's end continues on the next page.
      if (length > 0) this.partial.push(Buffer.from(page.subarray(start, start + length)));
      offset += pageBytes;
    }
    this.buffered = Buffer.from(this.buffered.subarray(offset));
    return packets;
  }

  /** Bytes of an incomplete page or packet (non-zero at end of stream = a truncated stream). */
  get pendingBytes(): number {
    return this.buffered.length + this.partial.reduce((sum, part) => sum + part.length, 0);
  }
}

function checkCrc(page: Buffer): void {
  const stored = page.readUInt32LE(CRC_OFFSET);
  const copy = Buffer.from(page);
  copy.writeUInt32LE(0, CRC_OFFSET);
  if (crc32Ogg(copy) !== stored) throw new Error('Ogg: page CRC mismatch');
}
