/**
 * Frames of a real clip through TsContainerWriter and the finalizer, checked the way a user checks the file:
 * ffmpeg (Debian's; media-tools.ts says when it falls back to the npm build) decodes it without a message,
 * every video packet has dts <= pts with dts increasing (mediabunny's TS writer fails this with B-frames),
 * the timestamps are the recorded ones, the tracks start together, and every decoded picture is the source's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import type { Frame } from '../../core/media.js';
import {
  AUDIO_TRACK_ID,
  loopFrames,
  makeClip,
  readMediaFile,
  VIDEO_TRACK_ID,
  videoFrameMd5s,
  type MediaFile,
} from '../../test/helpers/media-file.js';
import { decodeErrors, FFPROBE, ffprobe, type ProbeStream } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMpegTs, type TsFinalizeResult } from '../../lib/mpegts/finalize.js';
import { TIMESTAMP_OFFSET } from '../../lib/mpegts/ts-muxer.js';
import { writeTsRecording, type WriteTsResult } from '../../test/fixtures/ts-writer-child.js';

const run = promisify(execFile);
const CLIP_S = 10;
/** Past the clip's end, so the loop seam is recorded too. */
const TOTAL_S = 12;

const tmp = new TempDir('spool-ts-writer-');
after(() => tmp.cleanup());

interface Case {
  readonly name: string;
  readonly bFrames: 0 | 2;
  readonly video: boolean;
  readonly audio: boolean;
}

const cases: Case[] = [
  { name: 'H.264 without B-frames + AAC', bFrames: 0, video: true, audio: true },
  { name: 'H.264 with B-frames + AAC', bFrames: 2, video: true, audio: true },
  { name: 'video only (B-frames)', bFrames: 2, video: true, audio: false },
  { name: 'audio only', bFrames: 0, video: false, audio: true },
];

interface ProbedPacket {
  codec_type: 'video' | 'audio';
  pts: number;
  dts: number;
}

async function probePackets(path: string): Promise<ProbedPacket[]> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'packet=codec_type,pts,dts', '-of', 'json', path],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return (JSON.parse(stdout) as { packets: ProbedPacket[] }).packets;
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
}

describe('TsContainerWriter + finalizeMpegTs', () => {
  for (const testCase of cases) {
    describe(testCase.name, () => {
      const recording = join(tmp.path, `${testCase.name.replace(/\W+/g, '-')}.tmp.ts`);
      const output = join(tmp.path, `${testCase.name.replace(/\W+/g, '-')}.ts`);
      let clip: string;
      let media: MediaFile;
      let frames: Frame[];
      let written: WriteTsResult;
      let result: TsFinalizeResult;

      before(async () => {
        clip = await makeClip({
          seconds: CLIP_S,
          bFrames: testCase.bFrames,
          video: testCase.video,
          audio: testCase.audio,
        });
        media = await readMediaFile(clip);
        frames = [...loopFrames(media, { totalS: TOTAL_S })];
        written = await writeTsRecording(media, recording, { totalS: TOTAL_S });
        result = await finalizeMpegTs(recording, output);
      });

      test('bytesWritten is the file size; the finalized file is the same bytes', async () => {
        assert.equal(written.frames, frames.length);
        assert.equal(written.bytesWritten, (await stat(recording)).size);
        assert.equal(result.sizeBytes, written.bytesWritten);
        assert.equal((await stat(output)).size, result.sizeBytes);
        assert.equal(result.sizeBytes % 188, 0);
      });

      test('decodes without a message', async () => {
        assert.equal(await decodeErrors(output), '');
      });

      test('codecs, sample rate, channels, durations and start times', async () => {
        const probe = await ffprobe(output);
        assert.equal(probe.format.format_name, 'mpegts');
        const stream = (type: 'video' | 'audio'): ProbeStream | undefined =>
          probe.streams.find((s) => s.codec_type === type);
        const video = stream('video');
        const audio = stream('audio');
        assert.equal(video?.codec_name, testCase.video ? 'h264' : undefined);
        assert.equal(audio?.codec_name, testCase.audio ? 'aac' : undefined);
        if (video) assert.equal(`${video.width}x${video.height}`, '640x360');
        if (audio) {
          assert.equal(audio.sample_rate, String(media.audio!.track.sampleRate));
          assert.equal(audio.channels, media.audio!.track.channels);
        }
        const expectedS = Math.max(
          ...frames.map((f) => {
            const timescale = f.trackId === VIDEO_TRACK_ID ? 90_000 : media.audio!.track.timescale;
            const frameS = f.trackId === VIDEO_TRACK_ID ? 1 / 30 : 1024 / timescale;
            return f.pts / timescale + frameS;
          }),
        );
        assertNear(expectedS, TOTAL_S, 0.05, 'recorded length');
        assertNear(Number(probe.format.duration), expectedS, 0.1, 'ffprobe duration');
        assertNear(result.durationMs / 1000, expectedS, 0.1, 'finalizer duration');
        for (const probed of [video, audio]) {
          if (probed) assertNear(Number(probed.duration), expectedS, 0.1, `${probed.codec_type} duration`);
        }
        if (video && audio) {
          assertNear(Number(audio.start_time), Number(video.start_time), 0.05, 'audio start vs video start');
        }
        assertNear(Number((video ?? audio)!.start_time), TIMESTAMP_OFFSET / 90_000, 0.001, 'first pts');
      });

      test('every frame is there with its timestamps; video dts <= pts, dts strictly increasing', async () => {
        const packets = await probePackets(output);
        const toClock = (frame: Frame): { pts: number; dts: number } => {
          const scale = frame.trackId === AUDIO_TRACK_ID ? 90_000 / media.audio!.track.timescale : 1;
          return {
            pts: Math.round(frame.pts * scale) + TIMESTAMP_OFFSET,
            dts: Math.round(frame.dts * scale) + TIMESTAMP_OFFSET,
          };
        };
        for (const kind of ['video', 'audio'] as const) {
          const trackId = kind === 'video' ? VIDEO_TRACK_ID : AUDIO_TRACK_ID;
          const expected = frames.filter((f) => f.trackId === trackId).map(toClock);
          const actual = packets.filter((p) => p.codec_type === kind).map(({ pts, dts }) => ({ pts, dts }));
          assert.deepEqual(actual, expected, `${kind} packets`);
        }
        const video = packets.filter((p) => p.codec_type === 'video');
        video.forEach((packet, i) => {
          assert.ok(packet.dts <= packet.pts, `video packet ${i}: dts ${packet.dts} > pts ${packet.pts}`);
          const previous = video[i - 1];
          if (previous) assert.ok(packet.dts > previous.dts, `video packet ${i}: dts not increasing`);
        });
        if (testCase.bFrames > 0)
          assert.ok(
            video.some((p) => p.dts < p.pts),
            'B-frames reorder',
          );
      });

      test("a second demuxer (mediabunny's) reads every frame too", async () => {
        const input = new Input({ source: new FilePathSource(output), formats: ALL_FORMATS });
        try {
          for (const track of await input.getTracks()) {
            let packets = 0;
            for await (const _packet of new EncodedPacketSink(track).packets()) packets++;
            const trackId = track.type === 'video' ? VIDEO_TRACK_ID : AUDIO_TRACK_ID;
            assert.equal(
              packets,
              frames.filter((f) => f.trackId === trackId).length,
              `${track.type} packets`,
            );
          }
          assert.equal((await input.getTracks()).length, Number(testCase.video) + Number(testCase.audio));
        } finally {
          input.dispose();
        }
      });

      if (testCase.video) {
        test('every decoded picture is the source clip picture at the same time', async () => {
          const source = (await videoFrameMd5s(clip)).map((frame) => frame.md5);
          const expected = Array.from({ length: TOTAL_S * 30 }, (_, i) => source[i % source.length]);
          const pictures = (await videoFrameMd5s(output)).map((frame) => frame.md5);
          assert.equal(pictures.length, expected.length, 'decoded pictures');
          assert.deepEqual(pictures, expected);
        });
      }
    });
  }
});
