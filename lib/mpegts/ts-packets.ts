/**
 * MPEG-TS building blocks (ISO 13818-1): 188-byte packets, PAT/PMT sections, PES headers and
 * 33-bit timestamps. Pure functions, light enough for the finalizer's worker thread.
 */
import { crc32Mpeg2 } from '../codecs/crc32.js';

export { crc32Mpeg2 };
export const PACKET_BYTES = 188;
export const SYNC_BYTE = 0x47;
const PAYLOAD_BYTES = PACKET_BYTES - 4;

/** The PIDs and program number ffmpeg uses too, so our PAT/PMT match its well-known bytes. */
export const PAT_PID = 0x0000;
export const PMT_PID = 0x1000;
export const VIDEO_PID = 0x0100;
export const AUDIO_PID = 0x0101;
const PROGRAM_NUMBER = 1;
const TRANSPORT_STREAM_ID = 1;

export const STREAM_TYPE_H264 = 0x1b;
export const STREAM_TYPE_AAC_ADTS = 0x0f;
export const STREAM_ID_VIDEO = 0xe0;
export const STREAM_ID_AUDIO = 0xc0;

/** PTS, DTS and PCR bases are 33-bit counters of a 90 kHz clock that wrap after ~26.5 hours. */
export const TIMESTAMP_MODULO = 2 ** 33;

export interface ElementaryStream {
  readonly pid: number;
  readonly streamType: number;
}

/** Next continuity_counter of each PID (4 bits, advanced by every packet that carries payload). */
export class ContinuityCounters {
  private readonly next = new Map<number, number>();

  take(pid: number): number {
    const value = this.next.get(pid) ?? 0;
    this.next.set(pid, (value + 1) & 0x0f);
    return value;
  }
}

/** A PSI section (table id … last_section_number, then `body`) with its length and CRC filled in. */
function psiSection(tableId: number, tableIdExtension: number, body: readonly number[]): Uint8Array {
  const sectionLength = 5 + body.length + 4;
  const section = new Uint8Array(3 + sectionLength);
  section.set([
    tableId,
    0xb0 | (sectionLength >> 8), // section_syntax_indicator, '0', reserved
    sectionLength & 0xff,
    tableIdExtension >> 8,
    tableIdExtension & 0xff,
    0xc1, // reserved, version 0, current_next_indicator
    0x00, // section_number
    0x00, // last_section_number
    ...body,
  ]);
  new DataView(section.buffer).setUint32(section.length - 4, crc32Mpeg2(section.subarray(0, -4)));
  return section;
}

export function patSection(): Uint8Array {
  return psiSection(0x00, TRANSPORT_STREAM_ID, [
    PROGRAM_NUMBER >> 8,
    PROGRAM_NUMBER & 0xff,
    0xe0 | (PMT_PID >> 8),
    PMT_PID & 0xff,
  ]);
}

export function pmtSection(streams: readonly ElementaryStream[], pcrPid: number): Uint8Array {
  const body = [0xe0 | (pcrPid >> 8), pcrPid & 0xff, 0xf0, 0x00]; // no program descriptors
  for (const stream of streams) {
    body.push(stream.streamType, 0xe0 | (stream.pid >> 8), stream.pid & 0xff, 0xf0, 0x00);
  }
  return psiSection(0x02, PROGRAM_NUMBER, body);
}

/** One packet holding a whole PSI section (ours are far below 183 bytes), padded with 0xFF. */
export function psiPacket(pid: number, section: Uint8Array, counters: ContinuityCounters): Uint8Array {
  const packet = new Uint8Array(PACKET_BYTES).fill(0xff);
  packet.set([SYNC_BYTE, 0x40 | (pid >> 8), pid & 0xff, 0x10 | counters.take(pid), 0x00]);
  packet.set(section, 5);
  return packet;
}

/** Reduces any integer (negative ones too) to the 33-bit clock. */
export function wrapTimestamp(value: number): number {
  return ((value % TIMESTAMP_MODULO) + TIMESTAMP_MODULO) % TIMESTAMP_MODULO;
}

/** The 5-byte PTS/DTS field: 4-bit prefix, 33 bits split 3/15/15 with marker bits. */
function writeTimestamp(out: Uint8Array, offset: number, prefix: number, timestamp: number): void {
  const ts = wrapTimestamp(timestamp);
  const high = Math.floor(ts / 2 ** 30); // bits 32..30; the rest fits in 30 bits for bitwise ops
  const low = ts % 2 ** 30;
  out[offset] = (prefix << 4) | (high << 1) | 1;
  out[offset + 1] = low >>> 22;
  out[offset + 2] = (((low >>> 15) & 0x7f) << 1) | 1;
  out[offset + 3] = (low >>> 7) & 0xff;
  out[offset + 4] = ((low & 0x7f) << 1) | 1;
}

/** Reads a 5-byte PTS/DTS field back (the finalizer and tests use it). */
export function readTimestamp(bytes: Uint8Array, offset: number): number {
  const high = (bytes[offset]! >> 1) & 0x07;
  const low =
    (bytes[offset + 1]! << 22) |
    ((bytes[offset + 2]! >> 1) << 15) |
    (bytes[offset + 3]! << 7) |
    (bytes[offset + 4]! >> 1);
  return high * 2 ** 30 + low;
}

/**
 * A PES header with PTS, and DTS only when it differs. PES_packet_length counts the bytes after
 * it; 0 ("unbounded", allowed for video only) when the payload is too large for 16 bits.
 */
export function pesHeader(streamId: number, payloadBytes: number, pts: number, dts = pts): Uint8Array {
  const withDts = wrapTimestamp(dts) !== wrapTimestamp(pts);
  const header = new Uint8Array(withDts ? 19 : 14);
  const packetLength = header.length - 6 + payloadBytes;
  header.set([0x00, 0x00, 0x01, streamId]);
  if (packetLength <= 0xffff) header.set([packetLength >> 8, packetLength & 0xff], 4);
  header[6] = 0x80; // '10', no scrambling, no priority/alignment/copyright flags
  header[7] = withDts ? 0xc0 : 0x80;
  header[8] = withDts ? 10 : 5;
  writeTimestamp(header, 9, withDts ? 0x3 : 0x2, pts);
  if (withDts) writeTimestamp(header, 14, 0x1, dts);
  return header;
}

export interface PesPacketOptions {
  /** Sets random_access_indicator in the first packet (a keyframe starts here). */
  readonly randomAccess: boolean;
  /** PCR base (90 kHz) for the first packet, on the PCR PID. */
  readonly pcr?: number;
}

/** The adaptation-field bytes after its length byte (flags, then the PCR), or undefined for none. */
function adaptationFields(options: PesPacketOptions): Uint8Array | undefined {
  if (!options.randomAccess && options.pcr === undefined) return undefined;
  const fields = new Uint8Array(options.pcr === undefined ? 1 : 7);
  fields[0] = (options.randomAccess ? 0x40 : 0) | (options.pcr === undefined ? 0 : 0x10);
  if (options.pcr !== undefined) {
    const base = wrapTimestamp(options.pcr);
    const high = Math.floor(base / 2); // the top 32 of the 33 bits
    fields.set([high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff], 1);
    fields[5] = ((base % 2) << 7) | 0x7e; // last base bit, 6 reserved bits, extension 0
    fields[6] = 0x00;
  }
  return fields;
}

/**
 * Splits one PES (header + payload) into TS packets. The last packet is filled with
 * adaptation-field stuffing, never with payload padding, so the PES bytes are exact.
 */
export function pesPackets(
  pid: number,
  pes: readonly Uint8Array[],
  counters: ContinuityCounters,
  options: PesPacketOptions,
): Uint8Array {
  const total = pes.reduce((sum, part) => sum + part.length, 0);
  const firstFields = adaptationFields(options);
  const firstCapacity = PAYLOAD_BYTES - (firstFields === undefined ? 0 : 1 + firstFields.length);
  const count = 1 + Math.ceil(Math.max(0, total - firstCapacity) / PAYLOAD_BYTES);
  const out = new Uint8Array(count * PACKET_BYTES);
  let part = 0;
  let partOffset = 0;
  let remaining = total;
  for (let i = 0; i < count; i++) {
    const packet = out.subarray(i * PACKET_BYTES, (i + 1) * PACKET_BYTES);
    const fields = i === 0 ? firstFields : undefined;
    const minimumField = fields === undefined ? 0 : 1 + fields.length;
    const payload = Math.min(remaining, PAYLOAD_BYTES - minimumField);
    const fieldBytes = PAYLOAD_BYTES - payload; // grows past the minimum only to stuff the last packet
    packet[0] = SYNC_BYTE;
    packet[1] = (i === 0 ? 0x40 : 0) | (pid >> 8);
    packet[2] = pid & 0xff;
    packet[3] = (fieldBytes > 0 ? 0x30 : 0x10) | counters.take(pid);
    if (fieldBytes > 0) {
      packet[4] = fieldBytes - 1; // adaptation_field_length
      if (fieldBytes > 1) {
        packet.fill(0xff, 5, 4 + fieldBytes);
        packet[5] = 0x00; // no flags when the field only stuffs
        if (fields !== undefined) packet.set(fields, 5);
      }
    }
    let at = 4 + fieldBytes;
    while (at < PACKET_BYTES) {
      const source = pes[part]!;
      const n = Math.min(source.length - partOffset, PACKET_BYTES - at);
      packet.set(source.subarray(partOffset, partOffset + n), at);
      at += n;
      partOffset += n;
      if (partOffset === source.length) {
        part++;
        partOffset = 0;
      }
    }
    remaining -= payload;
  }
  return out;
}
