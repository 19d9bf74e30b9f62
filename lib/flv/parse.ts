/**
 * Parsing FLV tag bodies, as RTMP carries them in audio (8), video (9) and AMF0 data (18) messages:
 * `[frameType<<4 | codecId][AVCPacketType][composition time, int24][payload]` for H.264 and
 * `[soundFormat<<4 | flags][AACPacketType][payload]` for AAC. Only H.264 and AAC are taken;
 * anything else is reported as `ignored` so the publisher can say once what it drops.
 */
import { Amf0Reader } from './amf0.js';
import { FLV_AUDIO, FLV_SCRIPT, FLV_VIDEO } from './tags.js';

export type FlvPacket =
  | { readonly kind: 'avc-config'; readonly timeMs: number; readonly config: Uint8Array }
  | {
      readonly kind: 'avc-nalu';
      readonly timeMs: number;
      /** Composition time offset in ms; signed (node-media-server reads it unsigned). */
      readonly ctsMs: number;
      readonly keyframe: boolean;
      /** Length-prefixed NAL units, as sent. */
      readonly data: Uint8Array;
    }
  | { readonly kind: 'avc-end'; readonly timeMs: number }
  | { readonly kind: 'aac-config'; readonly timeMs: number; readonly config: Uint8Array }
  | { readonly kind: 'aac-raw'; readonly timeMs: number; readonly data: Uint8Array }
  | {
      readonly kind: 'metadata';
      readonly timeMs: number;
      readonly metadata: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'ignored'; readonly timeMs: number; readonly reason: string }
  | { readonly kind: 'malformed'; readonly timeMs: number; readonly reason: string };

const AUDIO_FORMATS: Readonly<Record<number, string>> = {
  0: 'linear PCM',
  1: 'ADPCM',
  2: 'MP3',
  3: 'linear PCM LE',
  4: 'Nellymoser 16 kHz',
  5: 'Nellymoser 8 kHz',
  6: 'Nellymoser',
  7: 'G.711 A-law',
  8: 'G.711 mu-law',
  9: 'enhanced RTMP audio',
  11: 'Speex',
  14: 'MP3 8 kHz',
};
const VIDEO_CODECS: Readonly<Record<number, string>> = {
  2: 'Sorenson H.263',
  3: 'screen video',
  4: 'VP6',
  5: 'VP6 alpha',
  6: 'screen video 2',
  12: 'HEVC (legacy id 12)',
};

/**
 * Parses one tag body. `body` may be a reused parser buffer longer than the message, so only
 * `body[0, size)` is read and every payload returned is a copy that owns its bytes.
 */
export function parseFlvTag(type: number, timeMs: number, body: Uint8Array, size = body.length): FlvPacket {
  const tag = body.subarray(0, Math.min(size, body.length));
  switch (type) {
    case FLV_VIDEO:
      return parseVideo(timeMs, tag);
    case FLV_AUDIO:
      return parseAudio(timeMs, tag);
    case FLV_SCRIPT:
      return parseScript(timeMs, tag);
    default:
      return { kind: 'ignored', timeMs, reason: `RTMP message type ${type}` };
  }
}

function parseVideo(timeMs: number, tag: Uint8Array): FlvPacket {
  if (tag.length < 1) return { kind: 'malformed', timeMs, reason: 'empty video tag' };
  const first = tag[0]!;
  if ((first & 0x80) !== 0) {
    const fourCc = String.fromCharCode(...tag.subarray(1, 5));
    return { kind: 'ignored', timeMs, reason: `enhanced RTMP video (${JSON.stringify(fourCc)})` };
  }
  const frameType = (first >> 4) & 0x07;
  const codecId = first & 0x0f;
  if (codecId !== 7) {
    return { kind: 'ignored', timeMs, reason: `video codec ${VIDEO_CODECS[codecId] ?? `id ${codecId}`}` };
  }
  if (frameType === 5) return { kind: 'ignored', timeMs, reason: 'video info/command frame' };
  if (tag.length < 5) return { kind: 'malformed', timeMs, reason: `H.264 tag of ${tag.length} bytes` };
  const packetType = tag[1]!;
  // int24, big-endian, two's complement: a B-frame stream may start with a negative offset
  const ctsMs = (((tag[2]! << 16) | (tag[3]! << 8) | tag[4]!) << 8) >> 8;
  const payload = new Uint8Array(tag.subarray(5));
  switch (packetType) {
    case 0:
      return { kind: 'avc-config', timeMs, config: payload };
    case 1:
      return { kind: 'avc-nalu', timeMs, ctsMs, keyframe: frameType === 1, data: payload };
    case 2:
      return { kind: 'avc-end', timeMs };
    default:
      return { kind: 'malformed', timeMs, reason: `AVCPacketType ${packetType}` };
  }
}

function parseAudio(timeMs: number, tag: Uint8Array): FlvPacket {
  if (tag.length < 1) return { kind: 'malformed', timeMs, reason: 'empty audio tag' };
  const soundFormat = tag[0]! >> 4;
  if (soundFormat !== 10) {
    return {
      kind: 'ignored',
      timeMs,
      reason: `audio codec ${AUDIO_FORMATS[soundFormat] ?? `id ${soundFormat}`}`,
    };
  }
  if (tag.length < 2) return { kind: 'malformed', timeMs, reason: 'AAC tag without AACPacketType' };
  const payload = new Uint8Array(tag.subarray(2));
  switch (tag[1]) {
    case 0:
      return { kind: 'aac-config', timeMs, config: payload };
    case 1:
      return { kind: 'aac-raw', timeMs, data: payload };
    default:
      return { kind: 'malformed', timeMs, reason: `AACPacketType ${tag[1]}` };
  }
}

/** `@setDataFrame "onMetaData" {…}` (what encoders send) or `onMetaData {…}`. */
function parseScript(timeMs: number, tag: Uint8Array): FlvPacket {
  try {
    const reader = new Amf0Reader(tag);
    let name = reader.value();
    if (name === '@setDataFrame') name = reader.value();
    if (name !== 'onMetaData')
      return { kind: 'ignored', timeMs, reason: `script data ${JSON.stringify(name)}` };
    const metadata = reader.value();
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      return { kind: 'malformed', timeMs, reason: 'onMetaData without an object' };
    }
    return { kind: 'metadata', timeMs, metadata: metadata as Record<string, unknown> };
  } catch (error) {
    return { kind: 'malformed', timeMs, reason: `script data: ${(error as Error).message}` };
  }
}
