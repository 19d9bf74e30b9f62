/**
 * Fragmented recording -> finalized MP4, checked the way a user would check the file: the box layout on
 * disk, ffmpeg decodes it without a message, ffprobe sees the right codecs, durations and start times, and
 * every decoded video frame is the picture of the source clip at the same time (B-frame reordering intact).
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from '../../core/media.js';
import { writeFragmented } from '../../test/fixtures/fmp4-writer-child.js';
import {
  makeClip,
  readMediaFile,
  VIDEO_TRACK_ID,
  videoFrameMd5s,
  type DecodedFrame,
  type MediaFile,
} from '../../test/helpers/media-file.js';
import { topLevelBoxes } from '../../test/helpers/mp4-boxes.js';
import { decodeErrors, ffprobe, type ProbeStream } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeFragmentedMp4, type FinalizeOptions } from './finalize.js';

const CLIP_S = 10;
/** The clip looped past its end, so the loop seam is inside the recording too. */
const TOTAL_S = 12;
const FPS = 30;
const DURATION_TOLERANCE_S = 0.3;
const START_TOLERANCE_S = 0.05;

interface Case {
  name: string;
  bFrames: 0 | 2;
  video: boolean;
  audio: boolean;
  /** The track starts this much later than the other one (its first frames are not written). */
  late?: { kind: 'video' | 'audio'; seconds: number };
}

const cases: Case[] = [
  { name: 'no B-frames', bFrames: 0, video: true, audio: true },
  { name: 'B-frames', bFrames: 2, video: true, audio: true },
  { name: 'audio only', bFrames: 0, video: false, audio: true },
  { name: 'video only', bFrames: 2, video: true, audio: false },
  { name: 'audio 300 ms late', bFrames: 2, video: true, audio: true, late: { kind: 'audio', seconds: 0.3 } },
  { name: 'video 1 s late', bFrames: 2, video: true, audio: true, late: { kind: 'video', seconds: 1 } },
];

const RESERVE_BYTES = 2048 * 1024;
const layouts: { name: string; options: FinalizeOptions; boxes: string[] }[] = [
  { name: 'moov first', options: { moovFirst: true }, boxes: ['ftyp', 'moov', 'mdat'] },
  { name: 'moov last', options: { moovFirst: false }, boxes: ['ftyp', 'mdat', 'moov'] },
  {
    name: 'moov first in a 2048 KB reserve',
    options: { moovFirst: true, reserveBytes: RESERVE_BYTES },
    boxes: ['ftyp', 'moov', 'free', 'mdat'],
  },
];

const tmp = new TempDir('spool-finalize-');
after(() => tmp.cleanup());

const sources = new Map<0 | 2, Promise<{ media: MediaFile; frames: DecodedFrame[] }>>();
/** The clip's frames and the MD5s of its decoded pictures, once per clip. */
function source(bFrames: 0 | 2): Promise<{ media: MediaFile; frames: DecodedFrame[] }> {
  let cached = sources.get(bFrames);
  if (!cached) {
    cached = makeClip({ seconds: CLIP_S, bFrames }).then(async (clip) => ({
      media: await readMediaFile(clip),
      frames: await videoFrameMd5s(clip),
    }));
    sources.set(bFrames, cached);
  }
  return cached;
}

/** The pictures the recording must show: the clip's, looped to TOTAL_S, from the late start if any. */
function expectedPictures(clipFrames: DecodedFrame[], fromS: number): DecodedFrame[] {
  const expected: DecodedFrame[] = [];
  for (let loop = 0; loop * clipFrames.length < TOTAL_S * FPS; loop++) {
    for (const frame of clipFrames) {
      const pts = frame.pts + loop * clipFrames.length;
      if (pts >= fromS * FPS && pts < TOTAL_S * FPS) expected.push({ pts, md5: frame.md5 });
    }
  }
  return expected;
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
}

describe('finalizeFragmentedMp4: a fragmented recording becomes a regular MP4', () => {
  for (const testCase of cases) {
    // The layouts are independent files: check them side by side (ffmpeg decodes on the other cores).
    describe(testCase.name, { concurrency: layouts.length }, () => {
      const fragmented = join(tmp.path, `${testCase.name.replaceAll(' ', '-')}.frag.mp4`);
      let clipFrames: DecodedFrame[] = [];

      before(async () => {
        const { media, frames } = await source(testCase.bFrames);
        clipFrames = frames;
        const late = testCase.late;
        const lateTrackId = late?.kind === 'video' ? VIDEO_TRACK_ID : media.audio?.track.id;
        const timescale =
          late?.kind === 'video' ? media.video?.track.timescale : media.audio?.track.timescale;
        const keep = (frame: Frame): boolean =>
          !late || frame.trackId !== lateTrackId || frame.pts >= late.seconds * (timescale ?? 1);
        await writeFragmented(media, fragmented, {
          totalS: TOTAL_S,
          video: testCase.video,
          audio: testCase.audio,
          keep,
        });
      });

      for (const layout of layouts) {
        test(layout.name, async () => {
          const output = join(
            tmp.path,
            `${testCase.name.replaceAll(' ', '-')}.${layout.name.replaceAll(' ', '-')}.mp4`,
          );
          const result = await finalizeFragmentedMp4(fragmented, output, layout.options);

          const boxes = await topLevelBoxes(output);
          assert.deepEqual(
            boxes.map((box) => box.type),
            layout.boxes,
          );
          assert.equal(result.sizeBytes, (await stat(output)).size, 'reported size = size on disk');
          assert.equal(result.truncated, false);
          assert.equal(result.reserveExceeded, false);
          if (layout.options.reserveBytes) {
            const mdat = boxes.find((box) => box.type === 'mdat');
            assert.equal(
              mdat?.start,
              (boxes[0]?.size ?? 0) + layout.options.reserveBytes,
              'moov + free = reserve',
            );
          }

          assert.equal(await decodeErrors(output), '', 'ffmpeg -v error prints nothing');

          const probe = await ffprobe(output);
          const expectedCodecs = [...(testCase.video ? ['h264'] : []), ...(testCase.audio ? ['aac'] : [])];
          assert.deepEqual(probe.streams.map((stream) => stream.codec_name).sort(), expectedCodecs.sort());
          assertNear(Number(probe.format.duration), TOTAL_S, DURATION_TOLERANCE_S, 'file duration');
          const stream = (type: 'video' | 'audio'): ProbeStream | undefined =>
            probe.streams.find((s) => s.codec_type === type);
          const lateS = (kind: 'video' | 'audio'): number =>
            testCase.late?.kind === kind ? testCase.late.seconds : 0;
          for (const kind of ['video', 'audio'] as const) {
            const probed = stream(kind);
            if (!probed) continue;
            assertNear(
              Number(probed.duration),
              TOTAL_S - lateS(kind),
              DURATION_TOLERANCE_S,
              `${kind} duration`,
            );
          }
          const video = stream('video');
          const audio = stream('audio');
          if (video && audio) {
            const offsetS = Number(audio.start_time) - Number(video.start_time);
            const expectedOffsetS = lateS('audio') - lateS('video');
            assertNear(offsetS, expectedOffsetS, START_TOLERANCE_S, 'audio start - video start (s)');
            assertNear(
              Math.min(Number(audio.start_time), Number(video.start_time)),
              0,
              START_TOLERANCE_S,
              'first track start',
            );
          } else {
            assertNear(Number((video ?? audio)?.start_time), 0, START_TOLERANCE_S, 'start');
          }

          if (testCase.video) {
            const pictures = await videoFrameMd5s(output);
            const expected = expectedPictures(clipFrames, lateS('video'));
            assert.equal(pictures.length, expected.length, 'decoded video frames');
            assert.deepEqual(pictures, expected, 'every picture equals the source clip at the same time');
          }
        });
      }
    });
  }
});
