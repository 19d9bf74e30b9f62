/**
 * Building FLV tag bodies, as RTMP carries them in audio (8), video (9) and AMF0 data (18) messages
 * (the FLV tag header's type, size and timestamp travel in the RTMP message header instead). Only
 * what Spool sends: H.264 (AVC) and AAC, and onMetaData. Each builder returns a new buffer that
 * owns its bytes.
 */
import { encodeAmf0, type Amf0Value } from './amf0.js';

export const FLV_AUDIO = 8;
export const FLV_VIDEO = 9;
export const FLV_SCRIPT = 18;

/** FLV's VideoTagHeader codec id of H.264, and SoundFormat of AAC. */
export const FLV_CODEC_AVC = 7;
export const FLV_SOUND_AAC = 10;

const KEYFRAME = 1;
const INTER_FRAME = 2;
/** SoundFormat 10, 44 kHz, 16-bit, stereo: the spec fixes these bits for AAC whatever the stream is. */
const AAC_HEADER_BYTE = (FLV_SOUND_AAC << 4) | 0x0f;
const INT24_MIN = -0x800000;
const INT24_MAX = 0x7fffff;

/** The AVC sequence header: the avcC (AVCDecoderConfigurationRecord) a decoder starts from. */
export function avcSequenceHeaderTag(avcC: Uint8Array): Buffer {
  return withHeader([(KEYFRAME << 4) | FLV_CODEC_AVC, 0, 0, 0, 0], avcC);
}

/**
 * One H.264 access unit in AVCC form (length-prefixed NAL units, as the avcC says). The composition
 * time (pts − dts, in ms) is a signed 24-bit field: B-frame streams may start with a negative one.
 */
export function avcVideoTag(avcc: Uint8Array, keyframe: boolean, compositionTimeMs: number): Buffer {
  if (
    !Number.isInteger(compositionTimeMs) ||
    compositionTimeMs < INT24_MIN ||
    compositionTimeMs > INT24_MAX
  ) {
    throw new RangeError(`composition time ${compositionTimeMs} ms does not fit FLV's signed 24 bits`);
  }
  const cts = compositionTimeMs & 0xffffff;
  return withHeader(
    [((keyframe ? KEYFRAME : INTER_FRAME) << 4) | FLV_CODEC_AVC, 1, cts >> 16, (cts >> 8) & 0xff, cts & 0xff],
    avcc,
  );
}

/** AVC end of sequence: tells a player the stream stops here. */
export function avcEndOfSequenceTag(): Buffer {
  return Buffer.of((KEYFRAME << 4) | FLV_CODEC_AVC, 2, 0, 0, 0);
}

/** The AAC sequence header: the AudioSpecificConfig. */
export function aacSequenceHeaderTag(audioSpecificConfig: Uint8Array): Buffer {
  return withHeader([AAC_HEADER_BYTE, 0], audioSpecificConfig);
}

/** One raw AAC frame (no ADTS header). */
export function aacAudioTag(raw: Uint8Array): Buffer {
  return withHeader([AAC_HEADER_BYTE, 1], raw);
}

/** `onMetaData {…}`: what a server sends a player before the media (a publisher's form has @setDataFrame). */
export function onMetaDataTag(metadata: { readonly [key: string]: Amf0Value }): Buffer {
  return encodeAmf0('onMetaData', metadata);
}

function withHeader(header: readonly number[], payload: Uint8Array): Buffer {
  const tag = Buffer.allocUnsafe(header.length + payload.length);
  tag.set(header, 0);
  tag.set(payload, header.length);
  return tag;
}
