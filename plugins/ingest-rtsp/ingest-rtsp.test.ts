import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { Frame, Stream } from '../../core/index.js';
import { startSpool, type InProcessSpool } from '../../test/helpers/spool-in-process.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { waitFor } from '../../test/helpers/wait.js';
import { RtspIngestToken } from './api.js';
import { FakeCamera } from '../../test/helpers/ingest-rtsp/fake-camera.js';
import { rtspRest, type RtspRest } from '../../test/helpers/ingest-rtsp/rtsp-rest.js';

const tmp = new TempDir('spool-ingest-rtsp-');
const cameras: FakeCamera[] = [];
after(async () => {
  await Promise.all(cameras.map((c) => c.close()));
  tmp.cleanup();
});

async function camera(options: Parameters<typeof FakeCamera.start>[0] = {}) {
  const started = await FakeCamera.start(options);
  cameras.push(started);
  return started;
}

async function withSpool(test: (s: InProcessSpool, rest: RtspRest) => Promise<void>, sets: string[] = []) {
  const s = await startSpool(tmp, {
    plugins: ['recorder', 'writer-mp4', 'rest-api', 'ingest-rtsp'],
    sets: [
      'ingest-rtsp.mediaTimeoutMs=1000',
      'ingest-rtsp.responseTimeoutMs=1000',
      'ingest-rtsp.reconnectMinMs=200',
      'ingest-rtsp.reconnectMaxMs=800',
      ...sets,
    ],
  });
  const rest = rtspRest(s.spool);
  try {
    await test(s, rest);
  } finally {
    await s.stop();
  }
}
/** Frames of a stream for `ms`, as a player sees them. */
async function framesOf(stream: Stream, ms: number, startAtKeyframe = true): Promise<Frame[]> {
  const subscription = stream.subscribe({ name: 'test', role: 'player', startAtKeyframe });
  const timer = setTimeout(() => subscription.end('enough'), ms);
  const frames: Frame[] = [];
  for await (const event of subscription) if (event.type === 'frame') frames.push(event.frame);
  clearTimeout(timer);
  return frames;
}

describe('ingest-rtsp with Spool (scripted cameras)', () => {
  test('REST startup → find_all → a synced H.264 + AAC stream → terminate (TEARDOWN); 409, 400, 404', async () => {
    const cam = await camera();
    await withSpool(async (s, { call, captureWhen }) => {
      assert.equal((await call('/rtsp/find_all')).status, 404);
      const openApi = await fetch(`http://127.0.0.1:${s.spool.httpPort}/rest-api/openapi.json`);
      const paths = Object.keys(((await openApi.json()) as { paths: object }).paths);
      assert.deepEqual(
        paths.filter((p) => p.startsWith('/rtsp/')),
        ['/rtsp/startup', '/rtsp/find_all', '/rtsp/terminate'],
      );
      assert.equal((await call('/rtsp/startup', { uri: cam.url(), toStream: 'door' })).status, 200);
      assert.equal((await call('/rtsp/startup', { uri: cam.url() })).status, 409, 'same URI');
      assert.equal(
        (await call('/rtsp/startup', { uri: cam.url('/other'), toStream: 'door' })).status,
        409,
        'same name',
      );
      assert.equal((await call('/rtsp/startup', { uri: 'http://x/' })).status, 400);
      assert.equal((await call('/rtsp/startup', { uri: 'rtsps://x/' })).status, 400);
      const stream = await waitFor('the stream', () => s.spool.bus.find('door'));
      assert.equal(stream.source, 'rtsp');
      assert.deepEqual(
        stream.tracks.map((t) => t.codec),
        ['h264', 'aac'],
      );
      const playing = await captureWhen((c) => c.status === 'PLAYING', 'PLAYING');
      assert.deepEqual(playing, { uri: cam.url(), toStream: 'door', status: 'PLAYING', onDemand: false });
      assert.ok(s.log.find((l) => /tracks synced by rtcp/.test(String(l.msg))));

      const frames = await framesOf(stream, 1500);
      const video = frames.filter((f) => f.trackId === 1);
      const audio = frames.filter((f) => f.trackId === 2);
      assert.ok(
        video.length > 10 && audio.length > 10,
        `${video.length} video, ${audio.length} audio frames`,
      );
      assert.ok(video[0]!.keyframe, 'a player starts at a keyframe');
      // The fake camera samples video RTP 1000+3000n and audio RTP 500+1024k on one wall clock.
      const videoS = video[0]!.pts / 90000;
      const audioAt = audio.find((f) => f.pts / 44100 >= videoS)!;
      assert.ok(Math.abs(audioAt.pts / 44100 - videoS) < 0.03, `A/V ${audioAt.pts / 44100} vs ${videoS}`);
      assert.ok(
        audio.slice(1).every((f, i) => f.pts - audio[i]!.pts === 1024),
        'audio steps of 1024 samples',
      );

      const ended = new Promise((resolve) => s.spool.hooks.tap('test', 'unpublished', resolve));
      assert.equal((await call('/rtsp/terminate', { uri: cam.url() })).status, 200);
      await ended;
      assert.equal(stream.ended, true);
      assert.ok(cam.methods().includes('TEARDOWN'));
      assert.equal((await call('/rtsp/terminate', { uri: cam.url() })).status, 404);
      assert.equal((await call('/rtsp/find_all')).status, 404);
    });
  });

  test('wrong Digest credentials: FAILED "Unauthorized" in find_all and the log, never retried', async () => {
    const cam = await camera({ digest: { user: 'admin', password: 'right' } });
    await withSpool(async (s, { call, captureWhen }) => {
      await call('/rtsp/startup', { uri: cam.url('/cam', 'admin:wrong@') });
      const failed = await captureWhen((c) => c.status === 'FAILED', 'FAILED');
      assert.equal(failed.uri, cam.url(), 'no password in find_all');
      assert.match(failed.info!, /^Unauthorized: DESCRIBE answered 401/);
      assert.ok(s.log.find((l) => /Unauthorized.*not retrying/.test(String(l.msg)) && l.level === 50));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // reconnectMinMs is 200
      assert.equal(cam.methods().filter((m) => m === 'DESCRIBE').length, 1);
      assert.ok(!JSON.stringify(s.log.lines).includes('wrong'), 'the password is in no log line');
      // A FAILED capture may be started again, e.g. with the right password.
      assert.equal((await call('/rtsp/startup', { uri: cam.url('/cam', 'admin:right@') })).status, 200);
      await captureWhen((c) => c.status === 'PLAYING', 'PLAYING with the right password');
    });
  });

  test('a publish refused by a hook is final: FAILED, the camera is let go', async () => {
    const cam = await camera();
    await withSpool(async (s, { call, captureWhen }) => {
      s.spool.hooks.tap('test', 'publish', (request) =>
        request.source === 'rtsp' ? { reason: 'cameras are not allowed here' } : undefined,
      );
      await call('/rtsp/startup', { uri: cam.url(), toStream: 'forbidden' });
      const failed = await captureWhen((c) => c.status === 'FAILED', 'FAILED');
      assert.match(failed.info!, /^publish refused: .*cameras are not allowed here/);
      await waitFor('TEARDOWN', () => (cam.methods().includes('TEARDOWN') ? true : undefined));
      assert.equal(cam.methods().filter((m) => m === 'DESCRIBE').length, 1);
    });
  });

  test('garbage, a huge Content-Length and an endless header: a clear error, backoff, no crash', async () => {
    const servers = await Promise.all([
      rawServer(() => 'HELLO THIS IS NOT RTSP\r\n\r\n'),
      rawServer(
        (cseq) => `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Length: 2000000000\r\n\r\n${'x'.repeat(1000)}`,
      ),
      rawServer(
        () =>
          'RTSP/1.0 200 OK\r\n' +
          'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(2000),
      ),
    ]);
    await withSpool(async (s, { call, captureWhen }) => {
      for (const server of servers) await call('/rtsp/startup', { uri: `rtsp://127.0.0.1:${server.port}/x` });
      const expected = [
        /malformed RTSP status line "HELLO THIS IS NOT RTSP"/,
        /Content-Length 2000000000 is over the limit/,
        /RTSP header longer than 16384 bytes/,
      ];
      for (const [i, server] of servers.entries()) {
        const view = await captureWhen(
          (c) => c.uri.includes(`:${server.port}/`) && c.status === 'RECONNECTING',
          `server ${i}`,
        );
        assert.match(view.info!, expected[i]!);
      }
      await new Promise((resolve) => setTimeout(resolve, 1200));
      for (const server of servers) {
        // 200, 400, 800 ms between attempts: a handful in 1.5 s, not a tight loop.
        assert.ok(
          server.connections() >= 2 && server.connections() <= 5,
          `${server.connections()} connections`,
        );
      }
      assert.ok(s.log.find((l) => /reconnecting in \d+ ms/.test(String(l.msg))));
    });
    await Promise.all(servers.map((server) => server.close()));
  });

  test('truncated RTP and junk packets are dropped and counted; the stream goes on', async () => {
    let n = 0;
    const cam = await camera({
      mangle: (packet) => {
        n++;
        if (n % 7 === 0) return packet.subarray(0, 6);
        if (n % 11 === 0) return Buffer.from('\x80\x60junkjunkjunk');
        return packet;
      },
    });
    await withSpool(async (s, { call }) => {
      await call('/rtsp/startup', { uri: cam.url(), toStream: 'noisy' });
      const stream = await waitFor('the stream', () => s.spool.bus.find('noisy'));
      const frames = await framesOf(stream, 1500, false);
      assert.ok(frames.length > 20, `${frames.length} frames`);
      assert.ok(s.log.find((l) => /dropping truncated or malformed RTP packet/.test(String(l.msg))));
      assert.equal(stream.ended, false);
    });
  });

  test('a frozen camera and a dropped connection end the stream and are reconnected', async () => {
    const cam = await camera();
    await withSpool(async (s, { call, captureWhen }) => {
      await call('/rtsp/startup', { uri: cam.url(), toStream: 'flaky' });
      const first = await waitFor('the stream', () => s.spool.bus.find('flaky'));
      cam.stopMedia();
      await waitFor('the frozen stream to end', () => (first.ended ? true : undefined), 5000);
      const frozen = await captureWhen((c) => c.status === 'RECONNECTING', 'RECONNECTING');
      assert.equal(frozen.info, 'no media from the camera for 1000 ms');
      cam.mediaStopped = false;
      const second = await waitFor('a new stream', () => {
        const stream = s.spool.bus.find('flaky');
        return stream !== undefined && stream !== first ? stream : undefined;
      });
      cam.dropConnections();
      await waitFor('the dropped stream to end', () => (second.ended ? true : undefined));
      const third = await waitFor('a third stream', () => {
        const stream = s.spool.bus.find('flaky');
        return stream !== undefined && stream !== second ? stream : undefined;
      });
      assert.notEqual(third.mediaSessionId, second.mediaSessionId);
      assert.ok(s.log.find((l) => /closed the connection; reconnecting in \d+ ms/.test(String(l.msg))));
    });
  });

  test('capture on demand: ensure(uri) pulls the camera once; released when nobody uses it or it is dead', async () => {
    const cam = await camera();
    await withSpool(
      async (s) => {
        const ingest = s.spool.service(RtspIngestToken);
        const [stream, again] = await Promise.all([ingest.ensure(cam.url()), ingest.ensure(cam.url())]);
        assert.equal(stream, again);
        assert.equal(stream.name, cam.url());
        assert.equal(ingest.isRtspName(stream.name), true);
        assert.deepEqual(
          ingest.list().map((c) => [c.onDemand, c.status]),
          [[true, 'PLAYING']],
        );
        const subscription = stream.subscribe({ name: 'viewer', role: 'player' });
        await new Promise((resolve) => setTimeout(resolve, 2000));
        assert.equal(ingest.list().length, 1, 'kept while someone watches');
        subscription.close();
        await waitFor(
          'the idle capture to be released',
          () => (ingest.list().length === 0 ? true : undefined),
          3000,
        );
        await waitFor('the stream to end', () => (stream.ended ? true : undefined));
        await assert.rejects(
          ingest.ensure('rtsp://127.0.0.1:1/none', { timeoutMs: 500 }),
          /was not playing within 500 ms/,
        );
        assert.equal(ingest.list()[0]?.status, 'RECONNECTING');
        await waitFor(
          'the dead camera to be given up',
          () => (ingest.list().length === 0 ? true : undefined),
          3000,
        );
      },
      ['ingest-rtsp.onDemandIdleMs=1500'],
    );
  });
});

/** A TCP server that answers every request with `reply(cseq)` and counts connections. */
async function rawServer(reply: (cseq: string) => string) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      const cseq = /CSeq: (\d+)/.exec(chunk.toString())?.[1] ?? '1';
      socket.write(reply(cseq));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
