/**
 * The native MP4 cutter on real files made by ffmpeg (H.264 with and without B-frames + AAC, moov at the
 * end as ffmpeg writes it, or first as Spool does), judged by decoding the cuts with ffmpeg against the
 * source: pictures and audio samples equal from the exact start, durations, box order.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { makeClip } from '../../../test/helpers/media-file.js';
import { ffmpeg } from '../../../test/helpers/media-tools.js';
import { topLevelBoxTypes } from '../../../test/helpers/mp4-boxes.js';
import { TempDir } from '../../../test/helpers/tmp.js';
import { cutMp4, type CutResult } from './cut-mp4.js';
import {
  assertCut,
  sampleTableBoxTypes,
  sourceMedia,
  type SourceMedia,
} from '../../../test/helpers/mp4-cut/cut-assertions.js';

const CLIP_S = 20;
const tmp = new TempDir('spool-mp4-cut-');
process.once('exit', () => tmp.cleanup());

let bFrames: SourceMedia; // moov at the end, as ffmpeg writes it
let bFramesMoovFirst: SourceMedia;
let noBFrames: SourceMedia;
let negativeOffsets: SourceMedia; // ctts version 1, composition offsets below 0

/** A copy of `path` remuxed by ffmpeg with `movflags`. */
async function remux(path: string, name: string, movflags: string): Promise<string> {
  const out = join(tmp.path, name);
  await ffmpeg(['-v', 'error', '-y', '-i', path, '-c', 'copy', '-movflags', movflags, out]);
  return out;
}

let cutCount = 0;
async function cut(
  source: SourceMedia,
  startS: number,
  endS?: number,
): Promise<{ path: string; result: CutResult }> {
  const path = join(tmp.path, 'cuts', `cut-${++cutCount}.mp4`);
  return {
    path,
    result: await cutMp4(source.path, path, { startS, ...(endS === undefined ? {} : { endS }) }),
  };
}

function assertWritten(result: CutResult): asserts result is Extract<CutResult, { ok: true }> {
  assert.ok(result.ok, 'the cut was written');
}

before(async () => {
  const withB = await makeClip({ seconds: CLIP_S, bFrames: 2 });
  assert.deepEqual(
    await topLevelBoxTypes(withB),
    ['ftyp', 'free', 'mdat', 'moov'],
    'ffmpeg writes moov last',
  );
  bFrames = await sourceMedia(withB);
  bFramesMoovFirst = await sourceMedia(await remux(withB, 'moov-first.mp4', '+faststart'));
  noBFrames = await sourceMedia(await makeClip({ seconds: CLIP_S, bFrames: 0 }));
  negativeOffsets = await sourceMedia(await remux(withB, 'negative-cts.mp4', '+negative_cts_offsets'));
});

describe('native MP4 cut', () => {
  test('B-frames, moov at the end: 5.5-12.3 s shows the source from 5.5 s, copied from the keyframe at 5 s', async () => {
    const { path, result } = await cut(bFrames, 5.5, 12.3);
    assertWritten(result);
    assert.equal(result.copiedFromS, 5);
    assert.equal(result.sourceDurationS, CLIP_S);
    assert.deepEqual(result.discarded, []);
    await assertCut(bFrames, path, 5.5, 12.3);
  });

  test('the same cut of the moov-first copy is as good', async () => {
    const { path, result } = await cut(bFramesMoovFirst, 5.5, 12.3);
    assertWritten(result);
    await assertCut(bFramesMoovFirst, path, 5.5, 12.3);
  });

  test('without B-frames, from 0: the source start, whole GOPs', async () => {
    const { path, result } = await cut(noBFrames, 0, 4);
    assertWritten(result);
    assert.equal(result.copiedFromS, 0);
    await assertCut(noBFrames, path, 0, 4);
  });

  test('an end beyond the duration runs to the end', async () => {
    const { path, result } = await cut(bFrames, 15, 100);
    assertWritten(result);
    await assertCut(bFrames, path, 15, CLIP_S);
  });

  test('no end runs to the end', async () => {
    const { path, result } = await cut(noBFrames, 12.25);
    assertWritten(result);
    await assertCut(noBFrames, path, 12.25, CLIP_S);
  });

  test('a range with no keyframe in it (7.2-7.8 s) is copied from the keyframe before it', async () => {
    const { path, result } = await cut(bFrames, 7.2, 7.8);
    assertWritten(result);
    assert.equal(result.copiedFromS, 7);
    await assertCut(bFrames, path, 7.2, 7.8);
  });

  test('negative composition offsets (ctts version 1): cut as exactly; the cut keeps ctts version 0', async () => {
    const { path, result } = await cut(negativeOffsets, 5.5, 12.3);
    assertWritten(result);
    await assertCut(negativeOffsets, path, 5.5, 12.3);
    const [video] = await sampleTableBoxTypes(path);
    assert.ok(video?.includes('ctts'), 'B-frames keep their composition offsets');
  });

  test('a start at or beyond the duration writes nothing and says why', async () => {
    for (const startS of [CLIP_S, CLIP_S + 5]) {
      const target = join(tmp.path, 'cuts', `beyond-${startS}.mp4`);
      const result = await cutMp4(bFrames.path, target, { startS });
      assert.deepEqual(result, { ok: false, reason: 'start-beyond-duration', sourceDurationS: CLIP_S });
      assert.ok(!existsSync(target));
    }
    assert.deepEqual(
      readdirSync(join(tmp.path, 'cuts')).filter((name) => name.startsWith('.')),
      [],
      'no temp file left behind',
    );
  });
});
