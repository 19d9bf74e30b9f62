/** RTP and RTCP (RFC 3550): what the ingest reads from packets, and the receiver report it sends. */

export interface RtpPacket {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Buffer;
}

/** Parses an RTP packet; undefined when it is not one or is cut short (counted by the caller). */
export function parseRtp(packet: Buffer): RtpPacket | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const csrcCount = packet[0]! & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (offset > end) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}

export interface SenderReport {
  readonly ssrc: number;
  /** The sender's wall clock (NTP) in seconds since 1900. */
  readonly ntpSeconds: number;
  /** The RTP timestamp that corresponds to ntpSeconds. */
  readonly rtpTimestamp: number;
}

const RTCP_SR = 200;

/** The sender reports in a (compound) RTCP packet; anything malformed ends the walk. */
export function senderReports(packet: Buffer): SenderReport[] {
  const reports: SenderReport[] = [];
  let offset = 0;
  while (offset + 4 <= packet.length) {
    if (packet[offset]! >> 6 !== 2) break;
    const size = (packet.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + size > packet.length) break;
    if (packet[offset + 1] === RTCP_SR && size >= 28) {
      reports.push({
        ssrc: packet.readUInt32BE(offset + 4),
        ntpSeconds: packet.readUInt32BE(offset + 8) + packet.readUInt32BE(offset + 12) / 2 ** 32,
        rtpTimestamp: packet.readUInt32BE(offset + 16),
      });
    }
    offset += size;
  }
  return reports;
}

/**
 * An empty receiver report (RFC 3550 §6.4.2) followed by an SDES CNAME, the minimal compound
 * packet. Some cameras end a session over UDP when they stop hearing RTCP from the client.
 */
export function receiverReport(ssrc: number, cname: string): Buffer {
  const name = Buffer.from(cname.slice(0, 255), 'utf8');
  const sdesWords = Math.ceil((4 + 2 + name.length + 1) / 4);
  const packet = Buffer.alloc(8 + 4 + sdesWords * 4);
  packet.writeUInt8(0x80, 0);
  packet.writeUInt8(201, 1);
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(ssrc, 4);
  packet.writeUInt8(0x81, 8);
  packet.writeUInt8(202, 9);
  packet.writeUInt16BE(sdesWords, 10);
  packet.writeUInt32BE(ssrc, 12);
  packet.writeUInt8(1, 16);
  packet.writeUInt8(name.length, 17);
  name.copy(packet, 18);
  return packet;
}

/**
 * Extends 32-bit RTP timestamps to a number that keeps counting across wrap-arounds (every 13 h
 * at 90 kHz), choosing for each value the extension nearest the previous one.
 */
export class TimestampUnwrapper {
  private last: number | undefined;

  unwrap(timestamp: number): number {
    if (this.last === undefined) {
      this.last = timestamp;
      return timestamp;
    }
    return (this.last = nearest(timestamp, this.last));
  }

  /** Extends a timestamp (e.g. of a sender report) near the last one without moving the reference. */
  extend(timestamp: number): number {
    return this.last === undefined ? timestamp : nearest(timestamp, this.last);
  }
}

const WRAP = 2 ** 32;

function nearest(timestamp: number, reference: number): number {
  let value = reference - (((reference % WRAP) + WRAP) % WRAP) + timestamp;
  if (value - reference > WRAP / 2) value -= WRAP;
  else if (reference - value > WRAP / 2) value += WRAP;
  return value;
}

/** Whether `sequence` follows `previous` directly (16-bit wrap). */
export function isNextSequence(previous: number | undefined, sequence: number): boolean {
  return previous === undefined || ((previous + 1) & 0xffff) === sequence;
}
