import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { AudioTrack, Frame, VideoTrack } from '../../core/index.js';
import { h264 } from '../../lib/codecs/index.js';
import { RtmpIngestHarness, waitFor, type Capture } from '../../test/helpers/rtmp-ingest.js';
import { RtmpPublisher } from '../../test/helpers/rtmp-publisher.js';
import { RtmpIngestToken } from './api.js';

const require = createRequire(import.meta.url);
const nmsContext = require('node-media-server/src/core/context.js') as {
  sessions: Map<unknown, unknown>;
  broadcasts: Map<unknown, unknown>;
};

// node-media-server prints through console.log; with Spool nothing of it may reach stdout.
const printed: string[] = [];
const restore: Array<() => void> = [];
before(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => printed.push(`console.${method}: ${args.join(' ')}`);
    restore.push(() => (console[method] = original));
  }
  const write = process.stdout.write;
  process.stdout.write = function (this: typeof process.stdout, chunk: unknown, ...rest: unknown[]) {
    if (/\[(TRACE|DEBUG|INFO|WARN|ERROR)\]|Node-Media-Server|Rtmp Server|RTMP session/.test(String(chunk))) {
      printed.push(`stdout: ${String(chunk)}`);
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  restore.push(() => (process.stdout.write = write));
});
after(() => restore.forEach((undo) => undo()));

const video = (c: Capture) => c.frames.filter((f) => f.trackId === 1);
const audio = (c: Capture) => c.frames.filter((f) => f.trackId === 2);
const deltas = (frames: Frame[]) => frames.slice(1).map((f, i) => f.dts - frames[i]!.dts);

describe('ingest-rtmp with ffmpeg publishing', () => {
  test('a 3 s publish (plain and with B-frames): identity, tracks, keyframes, timestamps', async (t) => {
    const harness = await RtmpIngestHarness.start();
    try {
      const plain = new RtmpPublisher({ url: harness.url('live/plain?record=true&login=alice'), seconds: 3 });
      const bframes = new RtmpPublisher({
        url: harness.url('live/bframes?login=bob&x=1'),
        seconds: 3,
        bFrames: 2,
      });
      const exits = await Promise.all([plain.exited, bframes.exited]);
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0],
        plain.stderr + bframes.stderr,
      );
      const [a, b] = await waitFor('both streams to end', () => {
        const both = [harness.capture('plain'), harness.capture('bframes')];
        return both.every((c) => c?.end !== undefined) ? (both as Capture[]) : undefined;
      });

      const s = a.stream;
      assert.deepEqual(
        [s.name, s.source, s.login, s.record, { ...s.query }],
        ['plain', 'rtmp', 'alice', true, { record: 'true', login: 'alice' }],
      );
      assert.deepEqual(
        [b.stream.login, b.stream.record, { ...b.stream.query }],
        ['bob', false, { login: 'bob', x: '1' }],
      );
      assert.equal(a.end!.reason, 'publisher disconnected');

      const [v, au] = s.tracks as [VideoTrack, AudioTrack];
      assert.deepEqual(
        [v.id, v.kind, v.codec, v.timescale, v.width, v.height, v.config![0]],
        [1, 'video', 'h264', 90000, 640, 360, 1],
      );
      assert.deepEqual(
        [au.id, au.kind, au.codec, au.timescale, au.sampleRate, au.channels, au.config!.length >= 2],
        [2, 'audio', 'aac', 44100, 44100, 2, true],
      );

      for (const c of [a, b]) {
        const frames = video(c);
        assert.ok(
          frames.length >= 85 && frames.length <= 92,
          `${frames.length} video frames in 3 s at 30 fps`,
        );
        const keyframes = frames.flatMap((f, i) => (f.keyframe ? [i] : []));
        assert.deepEqual(keyframes, [0, 30, 60], 'a keyframe every 30 frames (-g 30)');
        for (const f of frames) {
          const units = h264.splitAvcc(f.data); // throws unless 4-byte-length AVCC
          assert.equal(
            units.some((u) => h264.nalType(u) === h264.NAL_TYPE.IDR),
            f.keyframe,
          );
        }
        const videoSteps = deltas(frames);
        assert.ok(
          videoSteps.every((d) => d >= 2970 && d <= 3060),
          `video dts steps ${[...new Set(videoSteps)]}`,
        );
        const meanStep = (frames.at(-1)!.dts - frames[0]!.dts) / (frames.length - 1);
        assert.ok(Math.abs(meanStep - 3000) < 5, `mean video step ${meanStep}`);
        assert.deepEqual(new Set(deltas(audio(c))), new Set([1024]), 'audio dts from sample counts');
        assert.ok(audio(c).length >= 120, `${audio(c).length} AAC frames`);
        assert.ok(c.frames.every((f) => f.arrivalMs > Date.now() - 10000));
      }
      assert.ok(
        video(a).every((f) => f.pts === f.dts),
        'no B-frames: pts = dts',
      );
      const reordered = video(b).filter((f) => f.pts !== f.dts).length;
      assert.ok(
        video(b).every((f) => f.pts >= f.dts),
        'pts >= dts with -bf 2',
      );
      assert.ok(reordered > 30, `${reordered} frames with pts != dts`);
      t.diagnostic(`video frames ${video(a).length}/${video(b).length}, audio frames ${audio(a).length}`);
    } finally {
      await harness.stop();
    }
  });

  test('SIGKILLed ffmpeg: the stream ends within 2 s, not after a 30 s grace', async (t) => {
    const harness = await RtmpIngestHarness.start();
    try {
      const publisher = new RtmpPublisher({ url: harness.url('live/killed'), seconds: 30 });
      const capture = await waitFor('frames', () => {
        const c = harness.capture('killed');
        return c !== undefined && video(c).length >= 20 ? c : undefined;
      });
      const killedAt = Date.now();
      publisher.kill('SIGKILL');
      await waitFor('the stream to end', () => capture.end, 5000);
      const endedAfterMs = capture.end!.atMs - killedAt;
      assert.ok(endedAfterMs < 2000, `ended ${endedAfterMs} ms after SIGKILL`);
      assert.equal(capture.end!.reason, 'publisher disconnected');
      assert.equal(harness.spool.bus.find('killed'), undefined, 'the name is free again');
      t.diagnostic(`stream ended ${endedAfterMs} ms after SIGKILL`);
    } finally {
      await harness.stop();
    }
  });

  test('Spool started and stopped three times in one process, stopped mid-publish each time', async (t) => {
    const signalListeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
    const baseline = signalListeners();
    let port = 0;
    for (let cycle = 1; cycle <= 3; cycle++) {
      const harness = await RtmpIngestHarness.start([`ingest-rtmp.port=${port}`]);
      if (port !== 0) assert.equal(harness.port, port, 'the previous listener released the port');
      port = harness.port;
      const publisher = new RtmpPublisher({ url: harness.url(`live/cycle?login=c${cycle}`), seconds: 10 });
      const capture = await waitFor('frames', () => {
        const c = harness.capture('cycle');
        return c !== undefined && video(c).length >= 10 ? c : undefined;
      });
      assert.equal(capture.stream.login, `c${cycle}`);
      const firstDts = video(capture)[0]!.dts;
      assert.ok(
        firstDts < 300 * 90,
        `cycle ${cycle}: first video dts ${firstDts} (no timeline carried over)`,
      );
      await harness.stop();
      assert.equal(capture.end?.reason, 'server stopped');
      assert.equal(harness.spool.service(RtmpIngestToken).publishers, 0);
      assert.notEqual((await publisher.exited).code, 0, 'ffmpeg lost its connection');
      assert.equal(nmsContext.sessions.size, 0, 'no NMS session left');
      assert.equal(nmsContext.broadcasts.size, 0, 'no NMS broadcast left');
      assert.equal(signalListeners(), baseline, 'no SIGINT/SIGTERM handlers installed');
    }
    t.diagnostic(`three cycles on port ${port}`);
  });

  test('node-media-server printed nothing (banner, sessions, errors)', () => {
    assert.deepEqual(printed, []);
  });
});
