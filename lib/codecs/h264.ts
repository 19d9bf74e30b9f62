import { BitReader } from './bit-reader.js';

/** H.264 helpers shared by the ingests and writers: Annex-B ⇄ AVCC, avcC records, SPS fields. */

export const NAL_TYPE = { NON_IDR: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

export function nalType(nal: Uint8Array): number {
  return nal[0]! & 0x1f;
}

export interface AvcConfig {
  readonly profile: number;
  readonly compatibility: number;
  readonly level: number;
  readonly lengthSize: number;
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** Parses an AVCDecoderConfigurationRecord (avcC). Throws on a malformed record. */
export function parseAvcC(record: Uint8Array): AvcConfig {
  if (record.length < 7 || record[0] !== 1) throw new Error('not an avcC record (version must be 1)');
  const lengthSize = (record[4]! & 0x03) + 1;
  let offset = 6;
  const readSets = (count: number): Uint8Array[] => {
    const sets: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (offset + 2 > record.length) throw new Error('avcC record truncated');
      const size = (record[offset]! << 8) | record[offset + 1]!;
      offset += 2;
      if (offset + size > record.length) throw new Error('avcC record truncated');
      sets.push(record.slice(offset, offset + size));
      offset += size;
    }
    return sets;
  };
  const sps = readSets(record[5]! & 0x1f);
  if (offset >= record.length) throw new Error('avcC record truncated');
  const ppsCount = record[offset]!;
  offset++;
  const pps = readSets(ppsCount);
  if (sps.length === 0 || pps.length === 0) throw new Error('avcC record without SPS or PPS');
  return { profile: record[1]!, compatibility: record[2]!, level: record[3]!, lengthSize, sps, pps };
}

/** Builds an avcC record (4-byte NAL lengths) from SPS and PPS NAL units. */
export function buildAvcC(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (first === undefined || first.length < 4 || pps.length === 0) throw new Error('need an SPS and a PPS');
  const size = 6 + sps.reduce((n, s) => n + 2 + s.length, 0) + 1 + pps.reduce((n, p) => n + 2 + p.length, 0);
  const out = new Uint8Array(size);
  out.set([1, first[1]!, first[2]!, first[3]!, 0xff, 0xe0 | sps.length]);
  let offset = 6;
  for (const set of sps) {
    out[offset++] = set.length >> 8;
    out[offset++] = set.length & 0xff;
    out.set(set, offset);
    offset += set.length;
  }
  out[offset++] = pps.length;
  for (const set of pps) {
    out[offset++] = set.length >> 8;
    out[offset++] = set.length & 0xff;
    out.set(set, offset);
    offset += set.length;
  }
  return out;
}

/** Splits AVCC data (length-prefixed NAL units) into NAL units; throws when lengths overrun. */
export function splitAvcc(data: Uint8Array, lengthSize = 4): Uint8Array[] {
  const units: Uint8Array[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (offset + lengthSize > data.length) throw new Error('AVCC length field truncated');
    let size = 0;
    for (let i = 0; i < lengthSize; i++) size = size * 256 + data[offset + i]!;
    offset += lengthSize;
    if (offset + size > data.length) throw new Error(`AVCC NAL unit of ${size} bytes overruns the frame`);
    units.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return units;
}

/** Joins NAL units into AVCC with 4-byte lengths. */
export function joinAvcc(units: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(units.reduce((n, u) => n + 4 + u.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const unit of units) {
    view.setUint32(offset, unit.length);
    out.set(unit, offset + 4);
    offset += 4 + unit.length;
  }
  return out;
}

/** Splits Annex-B (start codes 00 00 01 / 00 00 00 01) into NAL units. */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) units.push(trimTrailingZeros(data.subarray(start, i)));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.length) units.push(data.subarray(start));
  return units.filter((u) => u.length > 0);
}

function trimTrailingZeros(unit: Uint8Array): Uint8Array {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

/** Removes emulation-prevention bytes (00 00 03 → 00 00). */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let length = 0;
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out[length++] = nal[i]!;
  }
  return out.subarray(0, length);
}

export interface SpsInfo {
  readonly profile: number;
  readonly level: number;
  readonly width: number;
  readonly height: number;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Reads profile, level and the cropped picture size from an SPS NAL unit. */
export function parseSps(nal: Uint8Array): SpsInfo {
  if (nalType(nal) !== NAL_TYPE.SPS) throw new Error('not an SPS NAL unit');
  const r = new BitReader(unescapeRbsp(nal.subarray(1)));
  const profile = r.bits(8);
  r.skip(8);
  const level = r.bits(8);
  r.unsignedExpGolomb(); // seq_parameter_set_id
  let chromaFormat = 1;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = r.unsignedExpGolomb();
    if (chromaFormat === 3) separateColourPlane = r.bit();
    r.unsignedExpGolomb(); // bit_depth_luma_minus8
    r.unsignedExpGolomb(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.bit() === 1) {
      const lists = chromaFormat === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.bit() === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.unsignedExpGolomb(); // log2_max_frame_num_minus4
  const pocType = r.unsignedExpGolomb();
  if (pocType === 0) {
    r.unsignedExpGolomb();
  } else if (pocType === 1) {
    r.skip(1);
    r.signedExpGolomb();
    r.signedExpGolomb();
    const cycle = r.unsignedExpGolomb();
    for (let i = 0; i < cycle; i++) r.signedExpGolomb();
  }
  r.unsignedExpGolomb(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.unsignedExpGolomb() + 1;
  const heightInMapUnits = r.unsignedExpGolomb() + 1;
  const frameMbsOnly = r.bit();
  if (frameMbsOnly === 0) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.bit() === 1) {
    crop = {
      left: r.unsignedExpGolomb(),
      right: r.unsignedExpGolomb(),
      top: r.unsignedExpGolomb(),
      bottom: r.unsignedExpGolomb(),
    };
  }
  const chromaArrayType = separateColourPlane === 1 ? 0 : chromaFormat;
  const cropUnitX = chromaArrayType === 0 ? 1 : chromaFormat === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 0 ? 1 : chromaFormat === 1 ? 2 : 1) * (2 - frameMbsOnly);
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = (2 - frameMbsOnly) * heightInMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new Error(`SPS gives an impossible picture size ${width}x${height}`);
  return { profile, level, width, height };
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let i = 0; i < size; i++) {
    if (next !== 0) next = (last + r.signedExpGolomb() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** RFC 6381 codec string, e.g. avc1.64001f. */
export function avcCodecString(config: AvcConfig): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex(config.profile)}${hex(config.compatibility)}${hex(config.level)}`;
}
