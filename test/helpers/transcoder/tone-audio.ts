/**
 * Test material for the transcoder tests: source audio made by ffmpeg (a 1 kHz tone that starts after a
 * second of silence, so timing can be measured), a run of a real transcoder, and checks of its output
 * decoded by ffmpeg the way a player would.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { type AudioTrack, type Frame } from '../../../core/index.js';
import { opus } from '../../../lib/codecs/index.js';
import { readMediaFile } from '../media-file.js';
import { ffmpeg, ffprobe } from '../media-tools.js';
import { DEBIAN_PACKAGES, debianInstall, skipOrFail } from '../system-tool.js';
import { AdtsWriter } from '../../../lib/codecs/adts.js';
import { resolveFfmpegPath } from '../../../plugins/transcoder/ffmpeg-binary.js';
import { FfmpegTranscoder } from '../../../plugins/transcoder/ffmpeg-transcoder.js';
import { OGG_BOS, OggPageWriter } from '../../../plugins/transcoder/ogg.js';
import type { TranscoderSettings } from '../../../plugins/transcoder/settings.js';
import { vorbisConfig } from '../../../plugins/transcoder/vorbis-headers.js';
import { VorbisPacketClock, xiphUnlace } from '../../../plugins/transcoder/vorbis.js';

export const TONE_HZ = 1000;
/** The tone plays from 1 s to 2 s and from 3 s on; silence before and between. */
export const TONE_ONSET_S = 1;
export const PAUSE_S: readonly [number, number] = [2, 3];
/** The tone's RMS in 16-bit samples (amplitude 1/8). */
export const TONE_RMS = (32768 / 8) * Math.SQRT1_2;

/**
 * The ffmpeg the transcoder runs in tests: SPOOL_TRANSCODER__FFMPEG__PATH or the npm package's, as in
 * production. Missing, it fails the test under CI and skips it elsewhere (system-tool.ts); returns
 * undefined when skipped.
 */
export function transcoderFfmpeg(t: TestContext): string | undefined {
  try {
    const path = resolveFfmpegPath(process.env.SPOOL_TRANSCODER__FFMPEG__PATH ?? '');
    accessSync(path, constants.X_OK);
    return path;
  } catch (error) {
    skipOrFail(t, {
      tool: "the transcoder's ffmpeg",
      problem: (error as Error).message,
      install:
        'run npm install (@ffmpeg-installer/ffmpeg ships it), or ' +
        `${debianInstall(DEBIAN_PACKAGES.ffmpeg!)} and set SPOOL_TRANSCODER__FFMPEG__PATH=/usr/bin/ffmpeg`,
      reason: 'transcode audio',
    });
    return undefined;
  }
}

export function testSettings(
  ffmpegPath: string,
  overrides: Partial<TranscoderSettings> = {},
): TranscoderSettings {
  return {
    ffmpegPath,
    sampleRate: 44100,
    channels: 2,
    aacBitrateMode: 5,
    stallTimeoutMs: 10_000,
    closeTimeoutMs: 5000,
    queueLimitBytes: 1024 * 1024,
    maxSilenceFillMs: 60_000,
    inputBatchMs: 100,
    niceness: 10,
    ...overrides,
  };
}

export const quietLog = pino({ level: 'silent' });

export interface Source {
  track: AudioTrack;
  frames: Frame[];
}

/** Sample-exact onsets (the sine source's `enable` would only switch at its 1024-sample frame boundaries). */
const toneFilter = (rate: number): string =>
  `aevalsrc='if(gte(t,${TONE_ONSET_S})*(lt(t,${PAUSE_S[0]})+gte(t,${PAUSE_S[1]})),sin(2*PI*${TONE_HZ}*t)/8,0)':s=${rate}`;

/** Opus (libopus, 48 kHz, 20 ms packets) in Ogg, read back into raw packets by mediabunny. */
export async function opusSource(dir: string, seconds: number, channels = 1): Promise<Source> {
  const path = join(dir, `tone-${seconds}s-${channels}ch.opus.ogg`);
  await ffmpeg(
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', toneFilter(48000), '-t', String(seconds)].concat([
      '-ac',
      String(channels),
      '-c:a',
      'libopus',
      '-b:a',
      '64k',
      path,
    ]),
  );
  const audio = (await readMediaFile(path)).audio!;
  return audio;
}

/** AAC-LC 44.1 kHz stereo in MP4, read back into raw frames by mediabunny. */
export async function aacSource(dir: string, seconds: number): Promise<Source> {
  const path = join(dir, `tone-${seconds}s.m4a`);
  await ffmpeg(
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', toneFilter(44100), '-t', String(seconds)].concat([
      '-ac',
      '2',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      path,
    ]),
  );
  return (await readMediaFile(path)).audio!;
}

/** G.711 at 8 kHz mono as ffmpeg writes it raw, cut into 20 ms frames as RTP carries it. */
export async function g711Source(codec: 'pcma' | 'pcmu', seconds: number): Promise<Source> {
  const { stdout } = await ffmpeg(
    ['-v', 'error', '-f', 'lavfi', '-i', toneFilter(8000), '-t', String(seconds)].concat([
      '-c:a',
      codec === 'pcma' ? 'pcm_alaw' : 'pcm_mulaw',
      '-f',
      codec === 'pcma' ? 'alaw' : 'mulaw',
      '-',
    ]),
  );
  const frames: Frame[] = [];
  for (let offset = 0; offset < stdout.length; offset += 160) {
    const data = new Uint8Array(stdout.subarray(offset, offset + 160));
    frames.push({ trackId: 2, data, pts: offset, dts: offset, keyframe: true, arrivalMs: 0 });
  }
  const track: AudioTrack = { id: 2, kind: 'audio', codec, timescale: 8000, sampleRate: 8000, channels: 1 };
  return { track, frames };
}

/** The frames moved `by` pts units later (a stream that did not start at 0). */
export function shifted(frames: readonly Frame[], by: number): Frame[] {
  return frames.map((frame) => ({ ...frame, pts: frame.pts + by, dts: frame.dts + by }));
}

export interface RunResult {
  output: AudioTrack;
  frames: Frame[];
  errors: Error[];
  transcoder: FfmpegTranscoder;
}

/** Pushes all frames at once, closes, and collects what came out. */
export async function transcodeAll(
  input: AudioTrack,
  frames: readonly Frame[],
  to: 'aac' | 'opus' | 'vorbis',
  settings: TranscoderSettings,
): Promise<RunResult> {
  const result: RunResult = { output: undefined!, frames: [], errors: [], transcoder: undefined! };
  result.transcoder = new FfmpegTranscoder(
    {
      ...{ input, to, log: quietLog },
      onFrame: (frame) => result.frames.push(frame),
      onError: (error) => result.errors.push(error),
    },
    settings,
    to === 'vorbis' ? await vorbisConfig(settings) : undefined,
  );
  result.output = result.transcoder.output;
  for (const frame of frames) result.transcoder.push(frame);
  await result.transcoder.close();
  return result;
}

/**
 * The span of each converted frame on the output timeline: the samples it decodes to, and for the first
 * packet of a Vorbis stream (which decodes to none) the lead-in it is stamped before the first input pts.
 * The next frame's pts is this frame's pts plus its span.
 */
export function frameSpans(
  track: AudioTrack,
  frames: readonly Frame[],
): { samples: number; leadIn: number }[] {
  if (track.codec === 'vorbis') {
    const clock = new VorbisPacketClock(xiphUnlace(track.config!));
    return frames.map((frame) => clock.next(frame.data));
  }
  const samples = (frame: Frame): number =>
    track.codec === 'opus' ? opus.opusPacketSamples(frame.data) : AAC_FRAME_SAMPLES;
  return frames.map((frame) => ({ samples: samples(frame), leadIn: 0 }));
}

const AAC_FRAME_SAMPLES = 1024;

/**
 * Writes converted frames as a file ffmpeg can read: ADTS for AAC, Ogg for Opus and Vorbis, with granule
 * positions from the pts (a page's granule is where its packet's decoded audio ends).
 */
export function writeOutput(dir: string, name: string, track: AudioTrack, frames: readonly Frame[]): string {
  if (track.codec === 'aac') {
    const adts = new AdtsWriter(track.config!);
    const path = join(dir, `${name}.aac`);
    writeFileSync(path, Buffer.concat(frames.map((frame) => adts.frame(frame.data))));
    return path;
  }
  const ogg = new OggPageWriter(1);
  const pages: Uint8Array[] = [];
  let granuleOffset: number;
  if (track.codec === 'vorbis') {
    const headers = xiphUnlace(track.config!);
    pages.push(ogg.page(headers.identification, 0, OGG_BOS), ogg.page(headers.comment, 0));
    pages.push(ogg.page(headers.setup, 0));
    granuleOffset = 0;
  } else {
    pages.push(ogg.page(track.config!, 0, OGG_BOS), ogg.page(Buffer.from('OpusTags\0\0\0\0\0\0\0\0'), 0));
    granuleOffset = Buffer.from(track.config!).readUInt16LE(10); // Opus granules count the pre-skip
  }
  const spans = frameSpans(track, frames);
  const origin = (frames[0]?.pts ?? 0) + (spans[0]?.leadIn ?? 0);
  frames.forEach((frame, i) => {
    const end = frame.pts + spans[i]!.samples + spans[i]!.leadIn - origin;
    pages.push(ogg.page(frame.data, end + granuleOffset));
  });
  const path = join(dir, `${name}.${track.codec}.ogg`);
  writeFileSync(path, Buffer.concat(pages));
  return path;
}

export interface Decoded {
  /** What `ffmpeg -v error` printed while decoding ('' = clean). */
  errors: string;
  sampleRate: number;
  channels: number;
  /** Mono 16-bit samples at the file's rate. */
  samples: Int16Array;
}

/** Decodes the file to mono 16-bit samples; what ffmpeg printed meanwhile at `-v error` is the errors. */
export async function decode(path: string): Promise<Decoded> {
  const [{ stdout, stderr }, probe] = await Promise.all([
    ffmpeg(['-v', 'error', '-i', path, '-ac', '1', '-f', 's16le', '-']),
    ffprobe(path),
  ]);
  const stream = probe.streams[0]!;
  return {
    errors: stderr.trim(),
    sampleRate: Number(stream.sample_rate),
    channels: stream.channels ?? 0,
    samples: new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length / 2),
  };
}

/** Time of the first sample louder than a quarter of the tone's amplitude at or after `fromS`. */
export function onsetS(decoded: Decoded, fromS = 0): number {
  const threshold = TONE_RMS * Math.SQRT2 * 0.25;
  const first = Math.round(fromS * decoded.sampleRate);
  const index = decoded.samples.findIndex((value, i) => i >= first && Math.abs(value) > threshold);
  return index < 0 ? Number.NaN : index / decoded.sampleRate;
}

/** RMS and frequency (from zero crossings) of [fromS, toS). */
export function measure(decoded: Decoded, fromS: number, toS: number): { rms: number; hz: number } {
  const part = decoded.samples.subarray(
    Math.round(fromS * decoded.sampleRate),
    Math.round(toS * decoded.sampleRate),
  );
  let sumSquares = 0;
  let crossings = 0;
  part.forEach((value, i) => {
    sumSquares += value * value;
    if (i > 0 && part[i - 1]! < 0 !== value < 0) crossings++;
  });
  return { rms: Math.sqrt(sumSquares / Math.max(1, part.length)), hz: crossings / 2 / (toS - fromS) };
}
