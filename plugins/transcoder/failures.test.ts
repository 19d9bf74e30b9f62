/**
 * Failures of the helper process become exactly one onError with a readable reason, never an exception
 * in the caller or an unhandled error (EPIPE), and later pushes are ignored. Fake "ffmpeg" binaries are
 * shell scripts; the kill, corrupt-input and long-run cases use the real one.
 */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, describe, test, type TestContext } from 'node:test';
import type { Frame } from '../../core/index.js';
import { rssKb } from '../../test/helpers/proc-stats.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { waitFor } from '../../test/helpers/wait.js';
import { FfmpegTranscoder } from './ffmpeg-transcoder.js';
import type { TranscoderSettings } from './settings.js';
import { vorbisConfig } from './vorbis-headers.js';
import { xiphLace, xiphUnlace } from './vorbis.js';
import {
  g711Source,
  opusSource,
  quietLog,
  testSettings,
  transcoderFfmpeg,
  type Source,
} from '../../test/helpers/transcoder/tone-audio.js';

const tmp = new TempDir('spool-transcode-fail-');
after(() => tmp.cleanup());

function fakeFfmpeg(name: string, body: string): string {
  const path = tmp.file(name, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

interface Run {
  transcoder: FfmpegTranscoder;
  frames: Frame[];
  errors: Error[];
}

function open(
  source: Source,
  settings: TranscoderSettings,
  onFrame?: (frame: Frame) => void,
  vorbisConfig?: Uint8Array,
): Run {
  const run: Run = { transcoder: undefined!, frames: [], errors: [] };
  run.transcoder = new FfmpegTranscoder(
    {
      ...{ input: source.track, to: vorbisConfig === undefined ? 'aac' : 'vorbis', log: quietLog },
      onFrame: (frame) => {
        run.frames.push(frame);
        onFrame?.(frame);
      },
      onError: (error) => run.errors.push(error),
    },
    settings,
    vorbisConfig,
  );
  return run;
}

/** After a failure: one error, pushes ignored without throwing, close() resolves at once. */
async function assertFailedOnce(run: Run, source: Source, pattern: RegExp): Promise<void> {
  await waitFor('onError', () => (run.errors.length > 0 ? true : undefined));
  const framesAtError = run.frames.length;
  for (const frame of source.frames.slice(0, 100)) run.transcoder.push(frame);
  await run.transcoder.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(run.errors.length, 1, 'onError called once');
  assert.match(run.errors[0]!.message, pattern);
  assert.equal(run.frames.length, framesAtError, 'no frames after the error');
  assert.equal(run.transcoder.queuedBytes, 0, 'queued input dropped');
}

let g711: Promise<Source> | undefined;
const alaw = (): Promise<Source> => (g711 ??= g711Source('pcma', 5));

function realFfmpeg(t: TestContext): string | undefined {
  return transcoderFfmpeg(t);
}

describe('transcoder priority', () => {
  test('ffmpeg runs `niceness` below Spool (CPU shortage: ingest first); 0 leaves it as is', async () => {
    const source = await alaw();
    const own = getPriority();
    for (const niceness of [10, 0]) {
      const run = open(
        source,
        testSettings(fakeFfmpeg(`idle-${niceness}.sh`, 'exec sleep 30'), { niceness }),
      );
      const pid = await waitFor('ffmpeg spawned', () => run.transcoder.pid);
      // Lowered right after 'spawn': wait for it rather than race it.
      const expected = Math.min(19, own + niceness);
      await waitFor(`nice ${expected}`, () => (getPriority(pid) === expected ? true : undefined));
      run.transcoder.abort();
    }
  });
});

describe('transcoder failures', () => {
  test('ffmpeg that exits 1: the exit code and what it printed', async () => {
    const source = await alaw();
    const path = fakeFfmpeg('exit1.sh', 'echo "Unrecognized option: boom" >&2; exit 1');
    const run = open(source, testSettings(path));
    run.transcoder.push(source.frames[0]!);
    await assertFailedOnce(run, source, /exited with code 1; ffmpeg said: Unrecognized option: boom/);
  });

  test('no binary at the configured path: the path and ENOENT', async () => {
    const source = await alaw();
    const run = open(source, testSettings('/nonexistent/ffmpeg'));
    for (const frame of source.frames) run.transcoder.push(frame);
    await assertFailedOnce(run, source, /cannot run \/nonexistent\/ffmpeg: .*ENOENT/);
  });

  test('ffmpeg killed mid-stream: reported once, no EPIPE escapes', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await alaw();
    const run = open(source, testSettings(path));
    let pushed = 0;
    const pushSome = (count: number): void => {
      for (const frame of source.frames.slice(pushed, pushed + count)) run.transcoder.push(frame);
      pushed += count;
    };
    pushSome(50);
    await waitFor('first output', () => (run.frames.length > 0 ? true : undefined));
    process.kill(run.transcoder.pid!, 'SIGKILL');
    // Keep writing as the ingest would while the pipe breaks.
    while (run.errors.length === 0 && pushed < source.frames.length) {
      pushSome(5);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await assertFailedOnce(run, source, /was killed by SIGKILL/);
  });

  test('ffmpeg printing a decoding error (corrupt Opus packets)', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await opusSource(tmp.path, 2);
    const run = open(source, testSettings(path));
    const garbage = Uint8Array.of(0xfb, 0xff, ...Array.from({ length: 20 }, (_, i) => i));
    source.frames.forEach((frame, i) => run.transcoder.push(i === 60 ? { ...frame, data: garbage } : frame));
    await assertFailedOnce(run, source, /ffmpeg reported an error: .*\[error\]/);
  });

  test('ffmpeg that reads but never writes: a stall after stallTimeoutMs', async () => {
    const source = await alaw();
    const run = open(
      source,
      testSettings(fakeFfmpeg('mute.sh', 'exec cat > /dev/null'), { stallTimeoutMs: 1000 }),
    );
    const startedAt = Date.now();
    for (const frame of source.frames) run.transcoder.push(frame);
    await assertFailedOnce(run, source, /stalled: no output for \d+ s while 5\.0 s of input waited/);
    assert.ok(Date.now() - startedAt < 4000, 'reported within a few seconds');
  });

  test('ffmpeg that does not read: "not keeping up" once the queue limit is passed, memory bounded', async () => {
    const source = await alaw();
    const limit = 64 * 1024;
    const run = open(
      source,
      testSettings(fakeFfmpeg('deaf.sh', 'exec sleep 30'), { queueLimitBytes: limit }),
    );
    let maxQueued = 0;
    for (let pass = 0; pass < 20; pass++) {
      for (const frame of source.frames) {
        run.transcoder.push(frame);
        maxQueued = Math.max(maxQueued, run.transcoder.queuedBytes);
      }
    }
    assert.ok(maxQueued <= limit + 160, `at most the limit queued (${maxQueued} bytes)`);
    await assertFailedOnce(run, source, /not keeping up: over 64 KB of input waiting/);
  });

  test('ffmpeg that does not finish after its input ended: killed after closeTimeoutMs', async () => {
    const source = await alaw();
    const path = fakeFfmpeg('linger.sh', "trap '' TERM\ncat > /dev/null\nexec sleep 30");
    const run = open(source, testSettings(path, { closeTimeoutMs: 500 }));
    for (const frame of source.frames.slice(0, 10)) run.transcoder.push(frame);
    const startedAt = Date.now();
    await run.transcoder.close();
    assert.ok(Date.now() - startedAt < 2000, `close() took ${Date.now() - startedAt} ms`);
    await assertFailedOnce(run, source, /did not finish within 500 ms after its input ended/);
  });

  test('onFrame throwing is reported, not thrown into the pipe handler', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await alaw();
    const run = open(source, testSettings(path), () => {
      throw new Error('writer is gone');
    });
    for (const frame of source.frames) run.transcoder.push(frame);
    await assertFailedOnce(run, source, /could not be passed on: writer is gone/);
  });

  test('Vorbis headers from ffmpeg that differ from the announced ones: an error before any frame', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await opusSource(tmp.path, 5);
    const settings = testSettings(path);
    const headers = xiphUnlace(await vorbisConfig(settings));
    // A codebook byte changed: the modes at the end still parse, but these headers would not decode the packets.
    const setup = Uint8Array.from(headers.setup);
    setup[100] ^= 0xff;
    const run = open(source, settings, undefined, xiphLace({ ...headers, setup }));
    for (const frame of source.frames) run.transcoder.push(frame);
    await assertFailedOnce(run, source, /Vorbis setup header differs from the one the track announced/);
    assert.equal(run.frames.length, 0);
  });

  test('abort(): ffmpeg killed at once, no error and no frames after it', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await alaw();
    const run = open(source, testSettings(path));
    for (const frame of source.frames.slice(0, 100)) run.transcoder.push(frame);
    await waitFor('first output', () => (run.frames.length > 0 ? true : undefined));
    const pid = run.transcoder.pid!;
    run.transcoder.abort();
    const framesAtAbort = run.frames.length;
    for (const frame of source.frames.slice(100)) run.transcoder.push(frame);
    await run.transcoder.close();
    assert.equal(rssKb(pid), undefined, 'ffmpeg is gone');
    assert.deepEqual(run.errors, []);
    assert.equal(run.frames.length, framesAtAbort);
  });
});

describe('transcoder under load', () => {
  test('60 s of Opus pushed 10x faster than real time: queue bounded, all of it converted', async (t) => {
    const path = realFfmpeg(t);
    if (path === undefined) return;
    const source = await opusSource(tmp.path, 5);
    const limit = 1024 * 1024;
    const run = open(source, testSettings(path, { queueLimitBytes: limit }));
    const perSecond = 50; // 20 ms packets
    let maxQueued = 0;
    let maxFfmpegRssKb = 0;
    for (let second = 0; second < 60; second++) {
      for (let k = second * perSecond; k < (second + 1) * perSecond; k++) {
        const frame = source.frames[k % source.frames.length]!;
        run.transcoder.push({ ...frame, pts: k * 960, dts: k * 960 });
        maxQueued = Math.max(maxQueued, run.transcoder.queuedBytes);
      }
      maxFfmpegRssKb = Math.max(maxFfmpegRssKb, rssKb(run.transcoder.pid!) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await run.transcoder.close();
    assert.deepEqual(run.errors, []);
    const seconds = (run.frames.length * 1024) / 44100;
    assert.ok(Math.abs(seconds - 60) < 0.1, `${seconds} s converted`);
    // Far below the limit even on a busy machine (this test file runs beside others).
    assert.ok(maxQueued < limit / 2, `at most ${maxQueued} bytes queued`);
    assert.ok(maxFfmpegRssKb < 64 * 1024, `ffmpeg RSS ${maxFfmpegRssKb} kB`);
    t.diagnostic(`max queued ${maxQueued} bytes, ffmpeg RSS ${Math.round(maxFfmpegRssKb / 1024)} MB`);
  });
});
