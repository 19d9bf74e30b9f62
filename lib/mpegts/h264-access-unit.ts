import { h264 } from '../codecs/index.js';

const START_CODE = Uint8Array.of(0, 0, 0, 1);
/** Access unit delimiter, primary_pic_type 7 (any slice type): required before each picture in TS. */
const AUD = Uint8Array.of(9, 0xf0);

/**
 * Turns AVCC frames (length-prefixed NAL units, SPS/PPS in the avcC) into Annex-B access units for
 * MPEG-TS: an AUD first, and the avcC's SPS/PPS before each IDR, since a TS reader has no other
 * place to find them and may start at any keyframe.
 */
export class AnnexBAccessUnits {
  private readonly lengthSize: number;
  private readonly parameterSets: readonly Uint8Array[];

  constructor(avcC: Uint8Array) {
    const config = h264.parseAvcC(avcC);
    this.lengthSize = config.lengthSize;
    this.parameterSets = [...config.sps, ...config.pps];
  }

  /** The NAL units of one frame with their start codes, as parts to copy into PES packets. */
  convert(data: Uint8Array, keyframe: boolean): Uint8Array[] {
    const units = h264
      .splitAvcc(data, this.lengthSize)
      .filter((unit) => unit.length > 0 && h264.nalType(unit) !== h264.NAL_TYPE.AUD);
    const isIdr = keyframe || units.some((unit) => h264.nalType(unit) === h264.NAL_TYPE.IDR);
    // A publisher that sends its parameter sets in-band (WebRTC does) has the newer ones there.
    const inBandSps = units.some((unit) => h264.nalType(unit) === h264.NAL_TYPE.SPS);
    const parts: Uint8Array[] = [START_CODE, AUD];
    for (const unit of isIdr && !inBandSps ? [...this.parameterSets, ...units] : units) {
      parts.push(START_CODE, unit);
    }
    return parts;
  }
}
