/**
 * Test support for the MP4 cutter: what a cut from S to E must be, checked by decoding it with ffmpeg
 * against the source it was cut from.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { childBoxes } from '../../../lib/mp4/boxes.js';
import { videoFrameMd5s, type DecodedFrame } from '../media-file.js';
import { decodeErrors, ffmpeg, ffprobe } from '../media-tools.js';
import { topLevelBoxTypes } from '../mp4-boxes.js';

/** The test clips' frame rate and audio sample rate (makeClip). */
export const FPS = 30;
export const SAMPLE_RATE = 44100;
const AAC_FRAME_S = 1024 / SAMPLE_RATE;
/** Audio compared sample by sample: the first AAC frames, where a missing pre-roll frame would show. */
const COMPARED_AUDIO_SAMPLES = 8192;
/** Largest difference allowed between the cut's and the source's PCM (the clips' sine peaks near 3000): a
 * cut one sample early or late differs by about 185. */
const PCM_TOLERANCE = 32;

export interface SourceMedia {
  readonly path: string;
  /** Decoded video frames in presentation order (none for audio-only). */
  readonly frames: DecodedFrame[];
  /** Decoded audio, mono s16 (empty for video-only). */
  readonly pcm: Int16Array;
}

/** Decoded audio of `path` (edit lists applied by ffmpeg), downmixed to mono. */
async function decodedPcm(path: string): Promise<Int16Array> {
  const probe = await ffprobe(path);
  if (!probe.streams.some((s) => s.codec_type === 'audio')) return new Int16Array(0);
  const { stdout } = await ffmpeg([
    '-v',
    'error',
    '-i',
    path,
    '-map',
    '0:a:0',
    '-ac',
    '1',
    '-f',
    's16le',
    '-',
  ]);
  return new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length / 2);
}

export async function sourceMedia(path: string): Promise<SourceMedia> {
  const hasVideo = (await ffprobe(path)).streams.some((s) => s.codec_type === 'video');
  return { path, frames: hasVideo ? await videoFrameMd5s(path) : [], pcm: await decodedPcm(path) };
}

/**
 * The cut at `cutPath` of `source` from startS to endS: decodes without a message, has its moov before
 * its mdat, lasts endS - startS within a frame, shows exactly the source's pictures from startS (the
 * first one is the source's picture at startS), plays the source's audio from startS to the sample, and
 * starts both at once. `source` without frames or without PCM leaves that part unchecked.
 */
export async function assertCut(
  source: SourceMedia,
  cutPath: string,
  startS: number,
  endS: number,
): Promise<void> {
  assert.equal(await decodeErrors(cutPath), '', 'the cut decodes cleanly');
  const boxes = await topLevelBoxTypes(cutPath);
  assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(','));
  const probe = await ffprobe(cutPath);
  const durationS = Number(probe.format.duration);
  assert.ok(
    Math.abs(durationS - (endS - startS)) <= 1 / FPS + 1e-6,
    `duration ${durationS}, expected ${endS - startS}`,
  );

  if (source.frames.length > 0) {
    // Frames by presentation time (in frames): a source's video need not start at 0.
    const [from, to] = [Math.round(startS * FPS), Math.round(endS * FPS)];
    const expected = source.frames.filter((frame) => frame.pts >= from && frame.pts < to);
    const frames = await videoFrameMd5s(cutPath);
    assert.equal(frames[0]?.pts, 0, 'the cut shows its first picture at 0');
    assert.equal(frames[0]?.md5, expected[0]?.md5, `the first picture is the source's at ${startS} s`);
    assert.ok(
      Math.abs(frames.length - expected.length) <= 1,
      `${frames.length} frames, ${expected.length} expected`,
    );
    frames.slice(0, expected.length).forEach((frame, i) => {
      assert.equal(frame.md5, expected[i]?.md5, `frame ${i} of the cut is the source's at ${from + i}`);
    });
  }
  if (source.pcm.length > 0) {
    const pcm = await decodedPcm(cutPath);
    const from = Math.round(startS * SAMPLE_RATE);
    const compared = Math.min(COMPARED_AUDIO_SAMPLES, pcm.length, source.pcm.length - from);
    let worst = 0;
    for (let k = 0; k < compared; k++)
      worst = Math.max(worst, Math.abs((pcm[k] ?? 0) - (source.pcm[from + k] ?? 0)));
    assert.ok(worst <= PCM_TOLERANCE, `audio from ${startS} s differs from the source's by up to ${worst}`);
  }
  if (source.frames.length > 0 && source.pcm.length > 0) {
    const starts = probe.streams.map((s) => Number(s.start_time ?? 0));
    assert.ok(Math.max(...starts) - Math.min(...starts) <= AAC_FRAME_S, `stream starts ${starts.join(', ')}`);
  }
}

/** The four-character types of the boxes on the path moov/trak/mdia/minf/stbl of every track. */
export async function sampleTableBoxTypes(path: string): Promise<string[][]> {
  const file = new Uint8Array(await readFile(path));
  const moov = childBoxes(file).find((box) => box.type === 'moov');
  assert.ok(moov, `${path} has a moov`);
  const child = (body: Uint8Array, type: string) => childBoxes(body).find((box) => box.type === type)?.body;
  return childBoxes(moov.body)
    .filter((box) => box.type === 'trak')
    .map((trak) => {
      const stbl = child(
        child(child(trak.body, 'mdia') ?? new Uint8Array(), 'minf') ?? new Uint8Array(),
        'stbl',
      );
      return childBoxes(stbl ?? new Uint8Array()).map((box) => box.type);
    });
}
