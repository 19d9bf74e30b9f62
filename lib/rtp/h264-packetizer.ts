import { NAL_TYPE, nalType, splitAvcc } from '../codecs/h264.js';

const STAP_A = 24;
const FU_A = 28;
/** RTP payload bytes per packet: a 1200-byte payload stays under a 1280-byte IPv6 minimum MTU with SRTP. */
export const DEFAULT_MAX_RTP_PAYLOAD_BYTES = 1200;

/**
 * RFC 6184 packetization mode 1 for a sender: each picture's NAL units become RTP payloads. Small
 * consecutive units (parameter sets, SEI, small slices) are aggregated into one STAP-A, a unit
 * larger than a packet is cut into FU-A fragments, and any other unit goes alone (single NAL unit
 * packet). The caller sets the marker bit on the last payload of the picture. Stateless: one
 * instance may serve many viewers.
 */
export class H264Packetizer {
  constructor(private readonly maxPayloadBytes = DEFAULT_MAX_RTP_PAYLOAD_BYTES) {
    if (maxPayloadBytes < 100) throw new RangeError(`maxPayloadBytes ${maxPayloadBytes} is too small`);
  }

  /** The RTP payloads of one picture, in sending order. */
  packetize(nals: readonly Uint8Array[]): Buffer[] {
    const payloads: Buffer[] = [];
    let aggregate: Uint8Array[] = [];
    let aggregateBytes = 1;
    const flush = () => {
      if (aggregate.length === 1) payloads.push(Buffer.from(aggregate[0]!));
      else if (aggregate.length > 1) payloads.push(stapA(aggregate, aggregateBytes));
      aggregate = [];
      aggregateBytes = 1;
    };
    for (const nal of nals) {
      if (nal.length === 0) continue;
      if (nal.length > this.maxPayloadBytes) {
        flush();
        payloads.push(...fuA(nal, this.maxPayloadBytes));
        continue;
      }
      if (aggregateBytes + 2 + nal.length > this.maxPayloadBytes) flush();
      aggregate.push(nal);
      aggregateBytes += 2 + nal.length;
    }
    flush();
    return payloads;
  }
}

/** STAP-A: F is the OR of the units' F bits and NRI their highest (RFC 6184 §5.7.1). */
function stapA(nals: readonly Uint8Array[], size: number): Buffer {
  const out = Buffer.alloc(size);
  let forbidden = 0;
  let nri = 0;
  let offset = 1;
  for (const nal of nals) {
    forbidden |= nal[0]! & 0x80;
    nri = Math.max(nri, nal[0]! & 0x60);
    out.writeUInt16BE(nal.length, offset);
    out.set(nal, offset + 2);
    offset += 2 + nal.length;
  }
  out[0] = forbidden | nri | STAP_A;
  return out;
}

/** FU-A fragments of one NAL unit: its header byte becomes the FU indicator and FU header. */
function fuA(nal: Uint8Array, maxPayloadBytes: number): Buffer[] {
  const header = nal[0]!;
  const indicator = (header & 0xe0) | FU_A;
  const type = header & 0x1f;
  const chunk = maxPayloadBytes - 2;
  const fragments: Buffer[] = [];
  for (let offset = 1; offset < nal.length; offset += chunk) {
    const end = Math.min(nal.length, offset + chunk);
    const fragment = Buffer.alloc(2 + end - offset);
    fragment[0] = indicator;
    fragment[1] = (offset === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    fragment.set(nal.subarray(offset, end), 2);
    fragments.push(fragment);
  }
  return fragments;
}

export interface ParameterSets {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/**
 * The NAL units to send for one AVCC picture. Access unit delimiters are left out (RFC 6184 allows
 * them, but they only cost a packet). A keyframe without its own SPS and PPS gets the track's
 * (from its avcC) in front: a viewer joining at that keyframe has no other way to learn them, and
 * RTMP and MP4 sources carry them only in the avcC.
 */
export function pictureNals(
  avcc: Uint8Array,
  lengthSize: number,
  keyframe: boolean,
  parameterSets?: ParameterSets,
): Uint8Array[] {
  const nals = splitAvcc(avcc, lengthSize).filter((nal) => nal.length > 0 && nalType(nal) !== NAL_TYPE.AUD);
  if (!keyframe || parameterSets === undefined) return nals;
  const hasSps = nals.some((nal) => nalType(nal) === NAL_TYPE.SPS);
  const hasPps = nals.some((nal) => nalType(nal) === NAL_TYPE.PPS);
  if (hasSps && hasPps) return nals;
  return [...parameterSets.sps, ...parameterSets.pps, ...nals];
}
