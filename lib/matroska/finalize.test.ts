/**
 * Live Matroska recording -> finished MKV/WebM, for every codec pair Spool records to Matroska, checked the
 * way a user would: ffmpeg (Debian's 5.1 when installed, and the npm 4.1) decodes it without a message,
 * ffprobe sees the codecs, rates, duration and start times, every decoded picture equals the source's at the
 * same time (B-frames intact), and mkvinfo finds the Duration, SeekHead and Cues.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { exactFrameTimes, g711Audio, writeMatroska } from '../../test/fixtures/mkv-writer-child.js';
import {
  makeClip,
  readMediaFile,
  videoFrameMd5s,
  type ClipOptions,
  type DecodedFrame,
  type MediaFile,
} from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe, type ProbeStream } from '../../test/helpers/media-tools.js';
import { requireMkvinfo } from '../../test/helpers/mkvinfo.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMatroska } from './finalize.js';

const CLIP_S = 10;
/** Past the clip's end, so the loop seam is recorded too. */
const TOTAL_S = 12;
const FPS = 30;
const DURATION_TOLERANCE_S = 0.1;
const START_TOLERANCE_S = 0.05;
const run = promisify(execFile);
const NPM_FFMPEG = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

interface Case {
  name: string;
  container: 'mkv' | 'webm';
  clip: ClipOptions;
  /** Replace the clip's audio with G.711 made by ffmpeg (readMediaFile reads no G.711). */
  g711?: 'pcma' | 'pcmu';
  video?: string;
  audio?: { codec: string; sampleRate: number; channels: number };
}

const h264 = (bFrames: 0 | 2, audioCodec: 'aac' | 'opus' = 'aac'): ClipOptions => ({
  seconds: CLIP_S,
  bFrames,
  audioCodec,
});
const vp8opus: ClipOptions = { seconds: CLIP_S, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' };
const aac = { codec: 'aac', sampleRate: 44100, channels: 2 };
const opus = { codec: 'opus', sampleRate: 48000, channels: 2 };

const cases: Case[] = [
  { name: 'H.264 + AAC in MKV', container: 'mkv', clip: h264(0), video: 'h264', audio: aac },
  { name: 'H.264 with B-frames + AAC in MKV', container: 'mkv', clip: h264(2), video: 'h264', audio: aac },
  {
    name: 'H.264 with B-frames + Opus in MKV',
    container: 'mkv',
    clip: h264(2, 'opus'),
    video: 'h264',
    audio: opus,
  },
  { name: 'VP8 + Opus in MKV', container: 'mkv', clip: vp8opus, video: 'vp8', audio: opus },
  { name: 'VP8 + Opus in WebM', container: 'webm', clip: vp8opus, video: 'vp8', audio: opus },
  {
    name: 'H.264 + G.711 A-law in MKV',
    container: 'mkv',
    clip: h264(2),
    g711: 'pcma',
    video: 'h264',
    audio: { codec: 'pcm_alaw', sampleRate: 8000, channels: 1 },
  },
  {
    name: 'H.264 + G.711 µ-law in MKV',
    container: 'mkv',
    clip: h264(0),
    g711: 'pcmu',
    video: 'h264',
    audio: { codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 },
  },
  { name: 'AAC only in MKV', container: 'mkv', clip: { ...h264(0), video: false }, audio: aac },
  { name: 'Opus only in WebM', container: 'webm', clip: { ...vp8opus, video: false }, audio: opus },
];

const tmp = new TempDir('spool-mkv-finalize-');
after(() => tmp.cleanup());

const sources = new Map<string, Promise<{ media: MediaFile; pictures: DecodedFrame[] }>>();
/** The clip's frames and the MD5s of its decoded pictures, once per clip. */
function source(clip: ClipOptions): Promise<{ media: MediaFile; pictures: DecodedFrame[] }> {
  const key = JSON.stringify(clip);
  let cached = sources.get(key);
  if (!cached) {
    cached = makeClip(clip).then(async (path) => ({
      media: exactFrameTimes(await readMediaFile(path)),
      pictures: clip.video === false ? [] : await videoFrameMd5s(path),
    }));
    sources.set(key, cached);
  }
  return cached;
}

/** The pictures the recording must show: the clip's, looped to TOTAL_S. */
function loopedPictures(clipPictures: DecodedFrame[]): DecodedFrame[] {
  const expected: DecodedFrame[] = [];
  for (let pts = 0; pts < TOTAL_S * FPS; pts++) {
    expected.push({ pts, md5: clipPictures[pts % clipPictures.length]?.md5 ?? '' });
  }
  return expected;
}

async function npmFfmpegDecodeErrors(file: string): Promise<string> {
  try {
    const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'];
    return (await run(NPM_FFMPEG, args)).stderr.trim();
  } catch (error) {
    return (error as { stderr?: string }).stderr?.trim() || String(error);
  }
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
}

describe(
  'finalizeMatroska: a live Matroska recording becomes a finished MKV/WebM',
  { concurrency: 3 },
  () => {
    for (const testCase of cases) {
      const slug = testCase.name.replace(/[^A-Za-z0-9]+/g, '-');
      const live = join(tmp.path, `${slug}.live.${testCase.container}`);
      const output = join(tmp.path, `${slug}.${testCase.container}`);
      let pictures: DecodedFrame[] = [];

      describe(testCase.name, () => {
        before(async () => {
          const loaded = await source(testCase.clip);
          pictures = loaded.pictures;
          const media = testCase.g711
            ? { ...loaded.media, audio: await g711Audio(testCase.g711, CLIP_S) }
            : loaded.media;
          await writeMatroska(media, live, { totalS: TOTAL_S, container: testCase.container });
        });

        test('finalizes into a file that decodes cleanly, with the expected codecs and timing', async (t) => {
          const result = await finalizeMatroska(live, output);
          assert.equal(result.sizeBytes, (await stat(output)).size, 'reported size = size on disk');
          assert.equal(result.docType, testCase.container === 'webm' ? 'webm' : 'matroska');
          assert.equal(result.truncated, false);
          assertNear(result.durationMs / 1000, TOTAL_S, DURATION_TOLERANCE_S, 'reported duration (s)');

          assert.equal(await decodeErrors(output), '', 'ffmpeg -v error prints nothing');
          assert.equal(await npmFfmpegDecodeErrors(output), '', 'ffmpeg 4.1 -v error prints nothing');

          const probe = await ffprobe(output);
          const stream = (type: 'video' | 'audio'): ProbeStream | undefined =>
            probe.streams.find((s) => s.codec_type === type);
          const video = stream('video');
          const audio = stream('audio');
          assert.equal(video?.codec_name, testCase.video);
          assert.equal(audio?.codec_name, testCase.audio?.codec);
          if (testCase.audio) {
            assert.equal(Number(audio?.sample_rate), testCase.audio.sampleRate, 'sample rate');
            assert.equal(audio?.channels, testCase.audio.channels, 'channels');
          }
          if (video) assert.deepEqual([video.width, video.height], [640, 360]);
          assertNear(Number(probe.format.duration), TOTAL_S, DURATION_TOLERANCE_S, 'file duration (s)');
          for (const probed of [video, audio]) {
            if (probed)
              assertNear(Number(probed.start_time), 0, START_TOLERANCE_S, `${probed.codec_type} start`);
          }
          if (video && audio) {
            assertNear(
              Number(audio.start_time) - Number(video.start_time),
              0,
              START_TOLERANCE_S,
              'a/v start',
            );
          }

          if (video) {
            const decoded = await videoFrameMd5s(output);
            assert.equal(decoded.length, TOTAL_S * FPS, 'decoded video frames');
            assert.deepEqual(
              decoded,
              loopedPictures(pictures),
              'every picture equals the source at the same time',
            );
          }

          await t.test('mkvinfo finds the Duration, the SeekHead and every cue point', async (t) => {
            const mkvinfo = requireMkvinfo(t, 'check the Duration, SeekHead and Cues with mkvinfo');
            if (mkvinfo === undefined) return;
            const info = await mkvinfo(output);
            assert.match(info, new RegExp(`Document type: ${result.docType}`));
            assert.match(info, /\| \+ Duration: 00:00:1[12]\./, 'Segment info has the Duration');
            assert.match(info, /\+ Seek head/, 'the file has a SeekHead');
            assert.match(info, /\+ Cues/, 'the file has Cues');
            assert.doesNotMatch(info, /error|warning|unknown element/i, 'mkvinfo finds nothing wrong');
            // --all lists each cue point (plain -v skips them).
            const cuePoints = (await mkvinfo(output, '--all')).match(/\+ Cue point/g)?.length ?? 0;
            assert.equal(cuePoints, result.cuePointCount, 'every cue point is readable');
            assert.ok(cuePoints >= (video ? TOTAL_S : 1), `${cuePoints} cue points`);
          });
        });
      });
    }
  },
);
