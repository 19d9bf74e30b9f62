import { isNextSequence, type RtpPacket } from './rtp.js';

/** The NAL units of one picture (RTP packets with the same timestamp). */
export interface AccessUnit {
  readonly timestamp: number;
  readonly nals: readonly Buffer[];
  /** A packet of it (or right before it) was lost, or it was too large: not safely decodable. */
  readonly damaged: boolean;
}

const STAP_A = 24;
const FU_A = 28;

/**
 * RFC 6184 depacketization, packetization modes 0 and 1: single NAL units, STAP-A and FU-A.
 * A picture ends at the marker bit or when the timestamp changes (some cameras never set the
 * marker). A sequence gap marks the picture it falls in as damaged. Bytes held are bounded by
 * `maxFrameBytes`.
 *
 * Both ingest-rtsp and ingest-webrtc (after werift's jitter buffer) use it. werift's depacketizer,
 * measured on the same packets (test/bench/rtp-depacketize.bench.ts, docs/PERFORMANCE.md), gave
 * the same pictures for a well-formed stream at 6–8x the CPU (it concatenates each FU-A fragment
 * onto the previous ones, and writes Annex-B that has to be split again); it merges pictures that
 * lack the marker bit, has no size bound, emits a FU-A whose start was lost as a cut NAL unit,
 * and drops broken packets without saying why.
 */
export class H264Depacketizer {
  private nals: Buffer[] = [];
  private bytes = 0;
  private timestamp: number | undefined;
  private damaged = false;
  private fragments: Buffer[] | undefined;
  private fragmentBytes = 0;
  private lastSequence: number | undefined;
  constructor(
    private readonly maxFrameBytes: number,
    /** Told why a packet was unusable, for the caller's drop counters. */
    private readonly problem: (what: string) => void = () => {},
  ) {}

  push(packet: RtpPacket): AccessUnit[] {
    const out: AccessUnit[] = [];
    if (!isNextSequence(this.lastSequence, packet.sequence)) {
      this.fragments = undefined;
      this.damaged = true;
    }
    this.lastSequence = packet.sequence;
    if (this.timestamp !== undefined && packet.timestamp !== this.timestamp) this.flush(out);
    this.timestamp = packet.timestamp;
    this.read(packet.payload);
    if (packet.marker) this.flush(out);
    return out;
  }

  private read(payload: Buffer): void {
    if (payload.length === 0) return this.problem('empty RTP payload');
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      this.fragments = undefined;
      return this.add(payload);
    }
    if (type === STAP_A) return this.readStapA(payload);
    if (type === FU_A) return this.readFuA(payload);
    this.damaged = true;
    this.problem(`unsupported H.264 packet type ${type} (interleaved mode is not supported)`);
  }

  private readStapA(payload: Buffer): void {
    let offset = 1;
    while (offset + 2 <= payload.length) {
      const size = payload.readUInt16BE(offset);
      offset += 2;
      if (size === 0 || offset + size > payload.length) {
        this.damaged = true;
        return this.problem('STAP-A unit overruns its packet');
      }
      this.add(payload.subarray(offset, offset + size));
      offset += size;
    }
  }

  private readFuA(payload: Buffer): void {
    if (payload.length < 3) {
      this.damaged = true;
      return this.problem('FU-A packet cut short');
    }
    const start = (payload[1]! & 0x80) !== 0;
    const end = (payload[1]! & 0x40) !== 0;
    if (start) {
      const header = Buffer.of((payload[0]! & 0xe0) | (payload[1]! & 0x1f));
      this.fragments = [header];
      this.fragmentBytes = 1;
    } else if (this.fragments === undefined) {
      // The start was lost (already marked damaged) or never sent: nothing to append to.
      this.damaged = true;
      return;
    }
    this.fragments.push(payload.subarray(2));
    this.fragmentBytes += payload.length - 2;
    if (this.bytes + this.fragmentBytes > this.maxFrameBytes) {
      this.fragments = undefined;
      this.damaged = true;
      return this.problem(`H.264 picture over ${this.maxFrameBytes} bytes`);
    }
    if (end) {
      this.add(Buffer.concat(this.fragments, this.fragmentBytes));
      this.fragments = undefined;
    }
  }

  private add(nal: Buffer): void {
    if (this.bytes + nal.length > this.maxFrameBytes) {
      this.damaged = true;
      return this.problem(`H.264 picture over ${this.maxFrameBytes} bytes`);
    }
    this.nals.push(nal);
    this.bytes += nal.length;
  }

  private flush(out: AccessUnit[]): void {
    if (this.nals.length > 0 || this.damaged) {
      out.push({
        timestamp: this.timestamp!,
        nals: this.nals,
        damaged: this.damaged || this.fragments !== undefined,
      });
    }
    this.nals = [];
    this.bytes = 0;
    this.fragments = undefined;
    this.damaged = false;
  }
}
