/**
 * The MP4 cutter on the other files an operator may drop into record_dir: audio-only, video-only, 64-bit
 * chunk offsets (co64), fragmented, and files that are not MP4 at all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Frame } from '../../../core/media.js';
import { writeFragmented } from '../../../test/fixtures/fmp4-writer-child.js';
import {
  makeClip,
  readMediaFile,
  VIDEO_TIMESCALE,
  VIDEO_TRACK_ID,
  videoFrameMd5s,
} from '../../../test/helpers/media-file.js';
import { decodeErrors, ffmpeg, ffprobe } from '../../../test/helpers/media-tools.js';
import { TempDir } from '../../../test/helpers/tmp.js';
import { cutMp4, nativeCut } from './cut-mp4.js';
import { UnsupportedMp4Error } from '../source-moov.js';
import { withSecondVideoDescription } from '../../../test/helpers/mp4-cut/test-files.js';
import {
  assertCut,
  FPS,
  sampleTableBoxTypes,
  sourceMedia,
  type SourceMedia,
} from '../../../test/helpers/mp4-cut/cut-assertions.js';

const CLIP_S = 20;
const tmp = new TempDir('spool-mp4-cut-sources-');
process.once('exit', () => tmp.cleanup());

let audioOnly: SourceMedia;
let videoOnly: SourceMedia;
let av: SourceMedia;

before(async () => {
  audioOnly = await sourceMedia(await makeClip({ seconds: CLIP_S, bFrames: 0, video: false }));
  videoOnly = await sourceMedia(await makeClip({ seconds: CLIP_S, bFrames: 2, audio: false }));
  av = await sourceMedia(await makeClip({ seconds: CLIP_S, bFrames: 2 }));
});

const streamTypes = async (path: string) => (await ffprobe(path)).streams.map((s) => s.codec_type);

describe('MP4 cut of other sources', () => {
  test('audio-only: 5-12 s, the source audio to the sample from 5 s', async () => {
    const target = join(tmp.path, 'audio-cut.mp4');
    const result = await cutMp4(audioOnly.path, target, { startS: 5, endS: 12 });
    assert.ok(result.ok);
    await assertCut(audioOnly, target, 5, 12);
    assert.deepEqual(await streamTypes(target), ['audio']);
  });

  test('video-only: 3.3-9 s', async () => {
    const target = join(tmp.path, 'video-cut.mp4');
    const result = await cutMp4(videoOnly.path, target, { startS: 3.3, endS: 9 });
    assert.ok(result.ok);
    await assertCut(videoOnly, target, 3.3, 9);
    assert.deepEqual(await streamTypes(target), ['video']);
  });

  test('64-bit chunk offsets: a co64 copy plays as the source, and is cut like it', async () => {
    const co64Path = join(tmp.path, 'co64.mp4');
    const whole = await nativeCut(av.path, co64Path, { startS: 0 }, { forceCo64: true });
    assert.ok(whole.ok);
    for (const stbl of await sampleTableBoxTypes(co64Path)) {
      assert.ok(stbl.includes('co64') && !stbl.includes('stco'), stbl.join(','));
    }
    await assertCut(av, co64Path, 0, CLIP_S);

    const target = join(tmp.path, 'co64-cut.mp4');
    assert.ok((await cutMp4(co64Path, target, { startS: 5.5, endS: 12.3 })).ok);
    for (const stbl of await sampleTableBoxTypes(target))
      assert.ok(stbl.includes('stco'), 'a small cut needs no co64');
    await assertCut(av, target, 5.5, 12.3);
  });

  test('fragmented MP4: its fragments read as one moov; cut as exactly', async () => {
    const path = join(tmp.path, 'fragmented.mp4');
    const movflags = ['-movflags', 'frag_keyframe+empty_moov'];
    await ffmpeg(['-v', 'error', '-y', '-i', av.path, '-c', 'copy', ...movflags, path]);
    const target = join(tmp.path, 'fragmented-cut.mp4');
    assert.ok((await nativeCut(path, target, { startS: 5.5, endS: 12.3 })).ok);
    // ffmpeg's fragments have no edit list: both tracks start at the B-frame delay, where the video's first
    // picture is. The cut shows what the clip shows that much earlier (ffmpeg's PCM of the fragmented file
    // itself ignores the audio's timestamps, so the clip is the reference).
    const video = (await ffprobe(path)).streams.find((s) => s.codec_type === 'video');
    const delayS = Math.round(Number(video?.start_time) * FPS) / FPS;
    assert.ok(delayS > 0, 'the fragmented file starts later');
    await assertCut(av, target, 5.5 - delayS, 12.3 - delayS);
  });

  test('a track that starts late (Spool fragments, video from 1 s): the cut keeps the lead-in', async () => {
    const path = join(tmp.path, 'video-late.frag.mp4');
    const media = await readMediaFile(av.path);
    const keep = (frame: Frame) => frame.trackId !== VIDEO_TRACK_ID || frame.pts >= VIDEO_TIMESCALE;
    await writeFragmented(media, path, { totalS: 6, keep });
    const target = join(tmp.path, 'video-late-cut.mp4');
    assert.ok((await cutMp4(path, target, { startS: 0.5, endS: 4 })).ok);
    assert.equal(await decodeErrors(target), '');
    assert.ok(Math.abs(Number((await ffprobe(target)).format.duration) - 3.5) <= 1 / FPS);
    const [first] = await videoFrameMd5s(target);
    assert.equal(first?.pts, 0.5 * FPS, 'the video starts 0.5 s into the cut');
    assert.equal(first?.md5, av.frames.find((frame) => frame.pts === FPS)?.md5, "the clip's picture at 1 s");
    await assertCut({ ...av, frames: [] }, target, 0.5, 4); // the audio, from 0.5 s to the sample
  });

  test('two sample descriptions in a track: declined by the native cutter, cut by mediabunny', async () => {
    const path = join(tmp.path, 'two-descriptions.mp4');
    writeFileSync(path, withSecondVideoDescription(readFileSync(av.path)));
    await assert.rejects(nativeCut(path, join(tmp.path, 'unused.mp4'), { startS: 5 }), UnsupportedMp4Error);
    const target = join(tmp.path, 'two-descriptions-cut.mp4');
    const result = await cutMp4(path, target, { startS: 5.5, endS: 12.3 });
    assert.ok(result.ok);
    await assertCut(av, target, 5.5, 12.3);
  });

  test('not an MP4: the cut fails with the reason, leaving nothing behind', async () => {
    const dir = join(tmp.path, 'broken');
    const text = join(tmp.path, 'text.mp4');
    writeFileSync(text, 'this is not an MP4 file');
    await assert.rejects(
      cutMp4(text, join(dir, 'cut.mp4'), { startS: 1, endS: 2 }),
      /not an MP4.* at byte 0 /,
    );
    const truncated = join(tmp.path, 'truncated.mp4');
    writeFileSync(truncated, readFileSync(av.path).subarray(0, 100_000));
    const cutShort = /cut short: box 'mdat' at byte \d+ runs past the end/;
    await assert.rejects(cutMp4(truncated, join(dir, 'cut2.mp4'), { startS: 1, endS: 2 }), cutShort);
    assert.deepEqual(readdirSync(dir), []);
  });
});
