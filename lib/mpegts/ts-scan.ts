/**
 * Reading TS packets and PES headers back, for the finalizer (in a worker thread: no imports beyond
 * ts-packets.ts) and the tests.
 */
import { PACKET_BYTES, SYNC_BYTE, readTimestamp } from './ts-packets.js';

export interface TsPacket {
  /** Byte offset of the packet in the file. */
  readonly offset: number;
  readonly pid: number;
  /** payload_unit_start_indicator: a PES or PSI section starts in this packet. */
  readonly unitStart: boolean;
  readonly payload: Uint8Array;
}

export interface PesStart {
  /** Offset of the TS packet the PES starts in. */
  readonly offset: number;
  readonly pid: number;
  readonly streamId: number;
  readonly pts: number | undefined;
  readonly dts: number | undefined;
  /** PES_packet_length: bytes after the 6-byte PES start; 0 = unbounded (video). */
  readonly declaredBytes: number;
}

/** Splits whole packets (bytes starting at file offset `baseOffset`); throws where sync is lost. */
export function parsePackets(bytes: Uint8Array, baseOffset: number): TsPacket[] {
  const packets: TsPacket[] = [];
  for (let at = 0; at + PACKET_BYTES <= bytes.length; at += PACKET_BYTES) {
    if (bytes[at] !== SYNC_BYTE) {
      const found = bytes[at]!.toString(16).padStart(2, '0');
      throw new Error(
        `not MPEG-TS: byte 0x${found} at offset ${baseOffset + at}, where sync byte 0x47 should be`,
      );
    }
    const control = (bytes[at + 3]! >> 4) & 0x03;
    let payloadStart = 4;
    if (control & 0x02) payloadStart += 1 + bytes[at + 4]!;
    const hasPayload = (control & 0x01) !== 0 && payloadStart < PACKET_BYTES;
    packets.push({
      offset: baseOffset + at,
      pid: ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!,
      unitStart: (bytes[at + 1]! & 0x40) !== 0,
      payload: hasPayload ? bytes.subarray(at + payloadStart, at + PACKET_BYTES) : new Uint8Array(0),
    });
  }
  return packets;
}

/** The PES header starting in this packet, or undefined when none does (a PSI section, a continuation). */
export function pesStart(packet: TsPacket): PesStart | undefined {
  const p = packet.payload;
  if (!packet.unitStart || p.length < 9 || p[0] !== 0 || p[1] !== 0 || p[2] !== 1) return undefined;
  const flags = p[7]! >> 6;
  const timestamp = (at: number): number | undefined =>
    p.length >= at + 5 ? readTimestamp(p, at) : undefined;
  const pts = flags & 0x2 ? timestamp(9) : undefined;
  return {
    offset: packet.offset,
    pid: packet.pid,
    streamId: p[3]!,
    pts,
    dts: flags === 0x3 ? timestamp(14) : pts,
    declaredBytes: (p[4]! << 8) | p[5]!,
  };
}
