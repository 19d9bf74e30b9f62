/**
 * Test media as Spool sees it: reads an MP4 (made by ffmpeg) with mediabunny, as an ingest plugin would
 * deliver it, and turns it into Spool Tracks and Frames (core/media.ts), optionally looped to any length.
 * Independent of any writer: the frames can be fed to a writer or published on the stream bus.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ALL_FORMATS,
  EncodedPacketSink,
  FilePathSource,
  Input,
  type InputAudioTrack,
  type InputVideoTrack,
} from 'mediabunny';
import type { AudioTrack, Frame, VideoTrack } from '../../core/media.js';
import { buildOpusHead, opusPacketSamples } from '../../lib/codecs/opus.js';
import { ffmpeg } from './media-tools.js';
import { TempDir } from './tmp.js';

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
export const VIDEO_TIMESCALE = 90000;
/** Samples per AAC-LC frame: audio timestamps are k x 1024 in the sample-rate timescale. */
export const AAC_FRAME_SAMPLES = 1024;

export interface MediaFile {
  /** H.264: frames AVCC, `track.config` the avcC; VP8: no config; decode order, dts <= pts. */
  video?: { track: VideoTrack; frames: Frame[] };
  /** AAC (config: AudioSpecificConfig, pts = dts = k x 1024) or Opus (config: OpusHead, 48 kHz, k x 960). */
  audio?: { track: AudioTrack; frames: Frame[] };
  /** Length of one pass over the file in seconds (the longer track). */
  durationS: number;
}

/**
 * Reads a test file with mediabunny (Input + EncodedPacketSink). Video: H.264 (AVCC, avcC config) or VP8, at 90 kHz,
 * dts rebuilt as an encoder emits it (sorted pts shifted back by the reorder delay, since mediabunny gives pts only).
 * Audio: AAC (AudioSpecificConfig) or Opus (OpusHead), timestamps from sample counts so they stay exact; the
 * encoder-priming frame (negative pts, hidden by the file's edit list) is skipped.
 */
export async function readMediaFile(path: string): Promise<MediaFile> {
  const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
  try {
    const media: MediaFile = { durationS: 0 };
    const videoTrack = await input.getPrimaryVideoTrack();
    if (videoTrack) {
      media.video = await readVideo(path, videoTrack);
      const { frames } = media.video;
      media.durationS = (frames.length * videoFrameDuration(frames)) / VIDEO_TIMESCALE;
    }
    const audioTrack = await input.getPrimaryAudioTrack();
    if (audioTrack) {
      media.audio = await readAudio(path, audioTrack);
      const { frames, track } = media.audio;
      const last = frames.at(-1);
      if (last)
        media.durationS = Math.max(media.durationS, (last.pts + frameSamples(frames)) / track.sampleRate);
    }
    if (!media.video && !media.audio) throw new Error(`${path}: no video or audio track`);
    return media;
  } finally {
    input.dispose();
  }
}

async function readVideo(
  path: string,
  videoTrack: InputVideoTrack,
): Promise<NonNullable<MediaFile['video']>> {
  const codec = videoTrack.codec === 'avc' ? 'h264' : videoTrack.codec === 'vp8' ? 'vp8' : undefined;
  if (codec === undefined) throw new Error(`${path}: video codec ${videoTrack.codec}, expected H.264 or VP8`);
  const config = await videoTrack.getDecoderConfig();
  if (codec === 'h264' && !config?.description) throw new Error(`${path}: video track has no avcC`);
  const pts: number[] = [];
  const packets: { data: Uint8Array; keyframe: boolean }[] = [];
  for await (const packet of new EncodedPacketSink(videoTrack).packets()) {
    packets.push({ data: packet.data, keyframe: packet.type === 'key' });
    pts.push(Math.round(packet.timestamp * VIDEO_TIMESCALE));
  }
  const dts = encoderDts(pts);
  const frames = packets.map((packet, i) => ({
    trackId: VIDEO_TRACK_ID,
    data: packet.data,
    pts: pts[i] ?? 0,
    dts: dts[i] ?? 0,
    keyframe: packet.keyframe,
    arrivalMs: 0,
  }));
  return {
    track: {
      id: VIDEO_TRACK_ID,
      kind: 'video',
      codec,
      timescale: VIDEO_TIMESCALE,
      ...(codec === 'h264' && config?.description ? { config: toBytes(config.description) } : {}),
      width: await videoTrack.getCodedWidth(),
      height: await videoTrack.getCodedHeight(),
    },
    frames,
  };
}

async function readAudio(
  path: string,
  audioTrack: InputAudioTrack,
): Promise<NonNullable<MediaFile['audio']>> {
  const codec = audioTrack.codec === 'aac' ? 'aac' : audioTrack.codec === 'opus' ? 'opus' : undefined;
  if (codec === undefined) throw new Error(`${path}: audio codec ${audioTrack.codec}, expected AAC or Opus`);
  const config = await audioTrack.getDecoderConfig();
  if (!config) throw new Error(`${path}: audio track has no decoder configuration`);
  // Opus is always decoded at 48 kHz, whatever rate the source had; its timestamps count 48 kHz samples.
  const sampleRate = codec === 'opus' ? 48000 : config.sampleRate;
  const channels = config.numberOfChannels;
  const description =
    config.description !== undefined
      ? toBytes(config.description)
      : codec === 'opus'
        ? buildOpusHead({ channels, preSkip: 312, inputSampleRate: 48000 })
        : undefined;
  if (!description) throw new Error(`${path}: audio track has no AudioSpecificConfig`);
  const frames: Frame[] = [];
  let next: number | undefined;
  for await (const packet of new EncodedPacketSink(audioTrack).packets()) {
    if (packet.timestamp < 0) continue; // encoder priming, hidden by the edit list
    next ??= Math.round(packet.timestamp * sampleRate);
    const samples = codec === 'aac' ? AAC_FRAME_SAMPLES : opusPacketSamples(packet.data);
    frames.push({
      trackId: AUDIO_TRACK_ID,
      data: packet.data,
      pts: next,
      dts: next,
      keyframe: true,
      arrivalMs: 0,
    });
    next += samples;
  }
  return {
    track: {
      id: AUDIO_TRACK_ID,
      kind: 'audio',
      codec,
      timescale: sampleRate,
      sampleRate,
      channels,
      config: description,
    },
    frames,
  };
}

/** Samples per audio frame (1024 for AAC, 960 for 20 ms Opus), from the first two frames. */
export function frameSamples(frames: readonly Frame[]): number {
  const [first, second] = frames;
  return first && second ? second.pts - first.pts : AAC_FRAME_SAMPLES;
}

/** dts an encoder would emit: the sorted pts, shifted back by the largest reorder delay, so dts <= pts. */
function encoderDts(pts: number[]): number[] {
  const sorted = [...pts].sort((a, b) => a - b);
  let delay = 0;
  pts.forEach((value, i) => (delay = Math.max(delay, value - (sorted[i] ?? value))));
  return sorted.map((value) => value - delay);
}

/**
 * The mean frame interval: WebM/MKV timestamps are whole milliseconds (33, 67, 100 … ms at 30 fps), so one
 * step (2970 ticks) is not the frame rate, and a pass length built from it would overlap the next pass.
 */
function videoFrameDuration(frames: Frame[]): number {
  if (frames.length < 2) return VIDEO_TIMESCALE / 30;
  const pts = frames.map((f) => f.pts);
  return Math.round((Math.max(...pts) - Math.min(...pts)) / (frames.length - 1));
}

function toBytes(source: ArrayBufferView | ArrayBufferLike): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source);
}

export interface LoopOptions {
  /** Total length in seconds: video frames with pts before it, audio frames that fit in it. */
  totalS: number;
  /** Include the video / audio track (default: each one the file has). */
  video?: boolean;
  audio?: boolean;
  /** arrivalMs of the frame at t=0; later frames arrive at this + their dts (as a live publisher sends). */
  arrivalStartMs?: number;
}

/**
 * The file's frames repeated to `totalS` seconds, both tracks merged by dts as a live ingest delivers them.
 * Video repeats whole passes (closed GOPs) shifted by the pass length; audio is numbered continuously
 * (pts = k x 1024) while its data cycles, so looping adds no drift between the tracks.
 */
export function* loopFrames(media: MediaFile, options: LoopOptions): Generator<Frame> {
  const arrivalStartMs = options.arrivalStartMs ?? 0;
  const video = media.video && options.video !== false ? loopVideo(media.video, options.totalS) : undefined;
  const audio = media.audio && options.audio !== false ? loopAudio(media.audio, options.totalS) : undefined;
  const seconds = (frame: Frame): number =>
    frame.dts / (frame.trackId === VIDEO_TRACK_ID ? VIDEO_TIMESCALE : (media.audio?.track.timescale ?? 1));
  let v = video?.next();
  let a = audio?.next();
  while (true) {
    const nextVideo = v && !v.done ? v.value : undefined;
    const nextAudio = a && !a.done ? a.value : undefined;
    let frame: Frame;
    if (nextVideo && (!nextAudio || seconds(nextVideo) <= seconds(nextAudio))) {
      frame = nextVideo;
      v = video?.next();
    } else if (nextAudio) {
      frame = nextAudio;
      a = audio?.next();
    } else {
      return;
    }
    yield { ...frame, arrivalMs: arrivalStartMs + Math.max(0, Math.round(seconds(frame) * 1000)) };
  }
}

function* loopVideo(video: NonNullable<MediaFile['video']>, totalS: number): Generator<Frame> {
  const { frames, track } = video;
  if (frames.length === 0) return;
  const passUnits = frames.length * videoFrameDuration(frames);
  const end = totalS * track.timescale;
  for (let shift = 0; shift < end; shift += passUnits) {
    for (const frame of frames) {
      if (frame.pts + shift >= end) continue;
      yield { ...frame, pts: frame.pts + shift, dts: frame.dts + shift };
    }
  }
}

function* loopAudio(audio: NonNullable<MediaFile['audio']>, totalS: number): Generator<Frame> {
  const { frames, track } = audio;
  const first = frames[0];
  if (!first) return;
  const samples = frameSamples(frames);
  const count = Math.floor((totalS * track.sampleRate) / samples);
  for (let k = 0; k < count; k++) {
    const source = frames[k % frames.length] ?? first;
    const pts = first.pts + k * samples;
    yield { ...source, pts, dts: pts };
  }
}

export interface ClipOptions {
  seconds: number;
  /** x264 -bf: 0 = no reordering, 2 = B-frames (pts != dts). */
  bFrames: 0 | 2;
  /** WIDTHxHEIGHT, default 640x360. */
  size?: string;
  /** Include an audio track, 440 Hz sine (default true): AAC 44.1 kHz stereo, or Opus 48 kHz stereo. */
  audio?: boolean;
  /** Include a 30 fps, 1 s GOP video track (default true). */
  video?: boolean;
  /** Video codec (default h264; vp8 ignores bFrames). */
  videoCodec?: 'h264' | 'vp8';
  /** Audio codec (default aac). */
  audioCodec?: 'aac' | 'opus';
}

let clipDir: TempDir | undefined;
const clips = new Map<string, Promise<string>>();

/**
 * A test clip made by ffmpeg: H.264 (High, 30 fps, closed 1 s GOPs, testsrc2) or VP8, and/or AAC-LC (44.1 kHz
 * stereo, 440 Hz sine) or Opus (48 kHz stereo); MP4 for H.264 + AAC, WebM for VP8 + Opus, else Matroska. Generated once per process for each set of options, in a temp dir removed at exit; with
 * `path`, a copy is written there too. Resolves to the clip's path.
 */
export function makeClip(options: ClipOptions): Promise<string>;
export function makeClip(path: string, options: ClipOptions): Promise<string>;
export async function makeClip(
  pathOrOptions: string | ClipOptions,
  maybeOptions?: ClipOptions,
): Promise<string> {
  const path = typeof pathOrOptions === 'string' ? pathOrOptions : undefined;
  const options = typeof pathOrOptions === 'string' ? maybeOptions : pathOrOptions;
  if (!options) throw new Error('makeClip: options are required');
  const normalized = {
    seconds: options.seconds,
    bFrames: options.bFrames,
    size: options.size ?? '640x360',
    audio: options.audio ?? true,
    video: options.video ?? true,
    videoCodec: options.videoCodec ?? 'h264',
    audioCodec: options.audioCodec ?? 'aac',
  };
  if (!normalized.audio && !normalized.video) throw new Error('makeClip: a clip needs video or audio');
  const key = JSON.stringify(normalized);
  let cached = clips.get(key);
  if (!cached) {
    cached = generateClip(normalized);
    clips.set(key, cached);
    cached.catch(() => clips.delete(key));
  }
  const clip = await cached;
  if (!path) return clip;
  await copyFile(clip, path);
  return path;
}

async function generateClip(options: Required<ClipOptions>): Promise<string> {
  if (!clipDir) {
    const dir = new TempDir('spool-clips-');
    clipDir = dir;
    process.once('exit', () => dir.cleanup());
  }
  const video = options.video ? options.videoCodec : undefined;
  const audio = options.audio ? options.audioCodec : undefined;
  const extension =
    (video ?? 'h264') === 'h264' && (audio ?? 'aac') === 'aac'
      ? 'mp4'
      : (video ?? 'vp8') === 'vp8' && (audio ?? 'opus') === 'opus'
        ? 'webm'
        : 'mkv';
  const name = `clip-${options.seconds}s-bf${options.bFrames}-${options.size}-${video ?? 'none'}-${audio ?? 'none'}.${extension}`;
  const out = join(clipDir.path, name);
  const inputs: string[] = [];
  const codecs: string[] = [];
  if (video) inputs.push('-f', 'lavfi', '-i', `testsrc2=size=${options.size}:rate=30`);
  if (video === 'h264') {
    codecs.push(
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'],
      ...['-bf', String(options.bFrames), '-g', '30', '-keyint_min', '30', '-sc_threshold', '0'],
    );
  } else if (video === 'vp8') {
    codecs.push(
      ...['-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'],
      ...['-g', '30', '-keyint_min', '30'],
    );
  }
  if (audio) {
    const rate = audio === 'opus' ? 48000 : 44100;
    inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate},aformat=channel_layouts=stereo`);
    codecs.push(
      ...(audio === 'opus' ? ['-c:a', 'libopus', '-b:a', '64k'] : ['-c:a', 'aac', '-b:a', '128k']),
      ...['-ar', String(rate), '-ac', '2'],
    );
  }
  await ffmpeg(['-v', 'error', '-y', ...inputs, '-t', String(options.seconds), ...codecs, out]);
  return out;
}

export interface DecodedFrame {
  /** Presentation time in frames of the stream's time base (1/30 s for the test clips). */
  pts: number;
  md5: string;
}

/** MD5 of every decoded video frame in presentation order (ffmpeg framemd5): equal lists = identical pictures. */
export async function videoFrameMd5s(path: string): Promise<DecodedFrame[]> {
  const { stdout } = await ffmpeg(['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-']);
  return stdout
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const fields = line.split(',').map((field) => field.trim());
      return { pts: Number(fields[2]), md5: fields.at(-1) ?? '' };
    });
}
