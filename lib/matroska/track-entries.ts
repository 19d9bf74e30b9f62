/**
 * Spool tracks as Matroska TrackEntry elements: the codec IDs and CodecPrivate layouts that ffmpeg,
 * mkvtoolnix and browsers read. G.711 has no native Matroska codec ID; like ffmpeg, Spool stores it as
 * A_MS/ACM with a WAVEFORMATEX (format tag 6 A-law, 7 µ-law). Vorbis (A_VORBIS) keeps its three headers,
 * Xiph-laced, in CodecPrivate.
 */
import { randomInt } from 'node:crypto';
import type { Codec, Track, VideoTrack } from '../../core/index.js';
import { h264, opus, vorbis } from '../codecs/index.js';
import { element, floatElement, ID, stringElement, uintElement } from './ebml.js';

const CODEC_IDS: Record<Codec, string> = {
  h264: 'V_MPEG4/ISO/AVC',
  vp8: 'V_VP8',
  aac: 'A_AAC',
  opus: 'A_OPUS',
  pcma: 'A_MS/ACM',
  pcmu: 'A_MS/ACM',
  vorbis: 'A_VORBIS',
};

/** Opus decoders need 80 ms of audio before a seek point to converge (RFC 7845, Matroska's Opus mapping). */
const OPUS_SEEK_PRE_ROLL_NS = 80_000_000;
const OPUS_SAMPLE_RATE = 48000;

export interface PictureSize {
  readonly width: number;
  readonly height: number;
}

/** Why the track's decoder configuration cannot be written, or undefined. */
export function configProblem(track: Track): string | undefined {
  try {
    if (track.codec === 'h264') {
      if (track.config === undefined) return 'the H.264 track has no avcC yet';
      h264.parseAvcC(track.config);
    } else if (track.codec === 'aac' && track.config === undefined) {
      return 'the AAC track has no AudioSpecificConfig yet';
    } else if (track.codec === 'opus' && track.config !== undefined) {
      opus.parseOpusHead(track.config);
    } else if (track.codec === 'vorbis') {
      return vorbisConfigProblem(track.config);
    }
  } catch (error) {
    return `the ${track.codec} decoder configuration is invalid: ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * The picture size the Video element needs: the track's, else the H.264 SPS's. VP8 carries it only in
 * keyframes, so a VP8 track without one gets it from its first keyframe (`fromKeyframe`).
 */
export function pictureSize(track: VideoTrack, fromKeyframe?: Uint8Array): PictureSize | undefined {
  if (track.width !== undefined && track.height !== undefined && track.width > 0 && track.height > 0) {
    return { width: track.width, height: track.height };
  }
  if (track.codec === 'h264' && track.config !== undefined) {
    const sps = h264.parseAvcC(track.config).sps[0];
    return sps === undefined ? undefined : h264.parseSps(sps);
  }
  return fromKeyframe === undefined ? undefined : vp8PictureSize(fromKeyframe);
}

/** Width and height from a VP8 keyframe header (RFC 6386 §9.1), undefined for an interframe. */
export function vp8PictureSize(frame: Uint8Array): PictureSize | undefined {
  const isKeyframe = frame.length >= 10 && (frame[0]! & 0x01) === 0;
  if (!isKeyframe || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/**
 * Ticks of the track's timescale to add to a frame's pts to get its Matroska block timestamp. Matroska
 * plays a block at its timestamp minus the CodecDelay, and Spool's pts is the time of the frame's first
 * decoded sample, so an Opus block is stamped pts + pre-skip (as ffmpeg writes it); 0 for other codecs.
 */
export function codecDelayTicks(track: Track): number {
  if (track.codec !== 'opus' || track.config === undefined) return 0;
  return Math.round((opus.parseOpusHead(track.config).preSkip * track.timescale) / OPUS_SAMPLE_RATE);
}

/** A TrackEntry; video tracks need their picture size. */
export function trackEntry(number: number, track: Track, size?: PictureSize): Uint8Array {
  const common = [
    uintElement(ID.TrackNumber, number),
    uintElement(ID.TrackUID, randomInt(1, 2 ** 47)),
    uintElement(ID.TrackType, track.kind === 'video' ? 1 : 2),
    uintElement(ID.FlagLacing, 0),
    stringElement(ID.Language, 'und'),
    stringElement(ID.CodecID, CODEC_IDS[track.codec]),
  ];
  if (track.kind === 'video') {
    if (size === undefined) throw new Error(`the ${track.codec} track's picture size is unknown`);
    return element(
      ID.TrackEntry,
      ...common,
      ...(track.config === undefined ? [] : [element(ID.CodecPrivate, track.config)]),
      element(ID.Video, uintElement(ID.PixelWidth, size.width), uintElement(ID.PixelHeight, size.height)),
    );
  }
  switch (track.codec) {
    case 'aac':
      return element(
        ID.TrackEntry,
        ...common,
        element(ID.CodecPrivate, track.config!),
        audioElement(track.sampleRate, track.channels),
      );
    case 'opus': {
      const head =
        track.config ?? opus.buildOpusHead({ channels: track.channels, preSkip: 0, inputSampleRate: 48000 });
      const { preSkip } = opus.parseOpusHead(head);
      return element(
        ID.TrackEntry,
        ...common,
        element(ID.CodecPrivate, head),
        // The encoder delay as Matroska states it, so players drop the pre-skip samples at the start.
        uintElement(ID.CodecDelay, Math.round((preSkip * 1e9) / OPUS_SAMPLE_RATE)),
        uintElement(ID.SeekPreRoll, OPUS_SEEK_PRE_ROLL_NS),
        audioElement(OPUS_SAMPLE_RATE, track.channels),
      );
    }
    case 'pcma':
    case 'pcmu':
      return element(
        ID.TrackEntry,
        ...common,
        element(ID.CodecPrivate, waveFormatEx(track.codec, track.sampleRate, track.channels)),
        audioElement(track.sampleRate, track.channels, 8),
      );
    case 'vorbis':
      // The three Vorbis headers, Xiph-laced: the track's config is already in this form.
      return element(
        ID.TrackEntry,
        ...common,
        element(ID.CodecPrivate, track.config!),
        audioElement(track.sampleRate, track.channels),
      );
  }
}

/** Why a Vorbis config is not the three Vorbis headers Xiph-laced, or undefined (the transcoder makes it). */
function vorbisConfigProblem(config: Uint8Array | undefined): string | undefined {
  if (config === undefined) return 'the Vorbis track has no headers';
  try {
    vorbis.xiphUnlace(config);
    return undefined;
  } catch {
    return 'the Vorbis decoder configuration is not the three Xiph-laced Vorbis headers';
  }
}

function audioElement(sampleRate: number, channels: number, bitDepth?: number): Uint8Array {
  return element(
    ID.Audio,
    floatElement(ID.SamplingFrequency, sampleRate),
    uintElement(ID.Channels, channels),
    ...(bitDepth === undefined ? [] : [uintElement(ID.BitDepth, bitDepth)]),
  );
}

/** WAVEFORMATEX (18 bytes, little-endian) for 8-bit G.711, as ffmpeg writes and reads it. */
function waveFormatEx(codec: 'pcma' | 'pcmu', sampleRate: number, channels: number): Uint8Array {
  const bytes = Buffer.alloc(18);
  bytes.writeUInt16LE(codec === 'pcma' ? 6 : 7, 0); // WAVE_FORMAT_ALAW / WAVE_FORMAT_MULAW
  bytes.writeUInt16LE(channels, 2);
  bytes.writeUInt32LE(sampleRate, 4);
  bytes.writeUInt32LE(sampleRate * channels, 8); // bytes per second: one byte per sample
  bytes.writeUInt16LE(channels, 12); // block align
  bytes.writeUInt16LE(8, 14); // bits per sample
  bytes.writeUInt16LE(0, 16); // no extra bytes
  return new Uint8Array(bytes);
}
