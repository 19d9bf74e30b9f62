import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { isSpoolError } from '../../core/index.js';
import { ffmpeg } from '../../test/helpers/media-tools.js';
import { RtmpIngestHarness, amf0Value, waitFor } from '../../test/helpers/rtmp-ingest.js';
import { RtmpPublisher } from '../../test/helpers/rtmp-publisher.js';

type Amf = Parameters<typeof amf0Value>[0] | null;

/** An RTMP message in chunks of 128 bytes (the default chunk size), chunk stream `cid` < 64. */
function chunked(type: number, payload: Buffer, streamId = 0, cid = 3): Buffer {
  const header = Buffer.alloc(12);
  header[0] = cid;
  header.writeUIntBE(payload.length, 4, 3);
  header[7] = type;
  header.writeUInt32LE(streamId, 8);
  const parts: Buffer[] = [header];
  for (let at = 0; at < payload.length; at += 128) {
    if (at > 0) parts.push(Buffer.from([0xc0 | cid]));
    parts.push(payload.subarray(at, at + 128));
  }
  return Buffer.concat(parts);
}

const command = (...values: Amf[]) =>
  chunked(20, Buffer.concat(values.map((v) => (v === null ? Buffer.from([0x05]) : amf0Value(v)))));

/** A raw client past the RTMP handshake (C0 C1, then C2 once S0 S1 S2 arrived). */
async function handshake(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  const startedAt = Date.now();
  const closed = once(socket, 'close').then(() => Date.now() - startedAt);
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536)]));
  let received = 0;
  await new Promise<void>((resolve) => {
    const onData = (data: Buffer) => {
      received += data.length;
      if (received < 1 + 2 * 1536) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
  socket.write(Buffer.alloc(1536));
  return { socket, closed };
}

/** Deterministic pseudo-random bytes (xorshift). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function publishesFine(harness: RtmpIngestHarness, name: string): Promise<void> {
  const publisher = new RtmpPublisher({ url: harness.url(`live/${name}`), seconds: 1 });
  assert.equal((await publisher.exited).code, 0, publisher.stderr);
  const capture = await waitFor(
    `"${name}" to end`,
    () => harness.capture(name)?.end && harness.capture(name),
  );
  assert.ok(capture.frames.length > 20, `${capture.frames.length} frames`);
}

describe('ingest-rtmp refusals and hostile clients', () => {
  test('a second publisher of the same name is refused before it sends media; the first goes on', async () => {
    const harness = await RtmpIngestHarness.start();
    try {
      const first = new RtmpPublisher({ url: harness.url('live/dup?login=first'), seconds: 3 });
      const capture = await waitFor('the first stream', () => {
        const c = harness.capture('dup');
        return c !== undefined && c.frames.length > 10 ? c : undefined;
      });
      const startedAt = Date.now();
      const second = new RtmpPublisher({ url: harness.url('live/dup?login=second'), seconds: 3 });
      const secondExit = await second.exited;
      assert.notEqual(secondExit.code, 0);
      assert.ok(Date.now() - startedAt < 2000, 'refused at once');
      assert.match(second.stderr, /Server error: stream "dup" is already published/);
      const framesThen = capture.frames.length;
      assert.equal((await first.exited).code, 0, first.stderr);
      assert.ok(capture.frames.length > framesThen + 10, 'the first publisher kept publishing');
      assert.deepEqual(
        harness.captures.map((c) => `${c.stream.name} ${c.stream.login}`),
        ['dup first'],
      );
      assert.ok(
        harness.warnings().some((w) => /RTMP publish refused: stream "dup" is already published/.test(w)),
      );
    } finally {
      await harness.stop();
    }
  });

  test('a publish hook refusal closes the RTMP connection; a wrong app and RTMP play are refused', async () => {
    const harness = await RtmpIngestHarness.start();
    try {
      harness.spool.hooks.tap('test', 'publish', (request) =>
        request.name === 'blocked' ? { reason: 'not on the list', status: 403 } : undefined,
      );
      const startedAt = Date.now();
      const blocked = new RtmpPublisher({ url: harness.url('live/blocked?login=mallory'), seconds: 5 });
      assert.notEqual((await blocked.exited).code, 0);
      assert.ok(Date.now() - startedAt < 3000, `ffmpeg gave up after ${Date.now() - startedAt} ms`);
      assert.equal(harness.captures.length, 0);
      assert.ok(harness.warnings().some((w) => w === 'publish of "blocked" refused: not on the list'));

      const wrongApp = new RtmpPublisher({ url: harness.url('vod/cam'), seconds: 2 });
      assert.notEqual((await wrongApp.exited).code, 0);
      assert.match(wrongApp.stderr, /Server error: unknown application "vod"/);

      const publisher = new RtmpPublisher({ url: harness.url('live/allowed'), seconds: 2 });
      await waitFor('the stream', () => harness.capture('allowed'));
      const player = await ffmpeg(['-i', harness.url('live/allowed'), '-t', '1', '-f', 'null', '-']).catch(
        (error: Error) => error.message,
      );
      assert.match(String(player), /Server error: RTMP playback is not served on this port/);
      assert.equal((await publisher.exited).code, 0, publisher.stderr);
    } finally {
      await harness.stop();
    }
  });

  test('the RTMP port in use: start fails with a clear error, the process lives on', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(RtmpIngestHarness.start([`ingest-rtmp.port=${port}`]), (error: unknown) => {
        assert.ok(isSpoolError(error, 'SPOOL_ERR_PLUGIN_START'), String(error));
        assert.equal(
          error.message,
          `plugin "ingest-rtmp" failed to start: RTMP port 127.0.0.1:${port} is already in use (set ingest-rtmp.port)`,
        );
        return true;
      });
    } finally {
      blocker.close();
    }
    const harness = await RtmpIngestHarness.start(); // nothing of the failed start is left over
    try {
      await publishesFine(harness, 'after-eaddrinuse');
    } finally {
      await harness.stop();
    }
  });

  test('garbage, a malformed connect, a bad publish and huge buffers close only that connection', async () => {
    const harness = await RtmpIngestHarness.start();
    try {
      const { port } = harness;
      // Nonsense from the first byte, and an HTTP request to the RTMP port.
      for (const bytes of [
        noise(65536, 7),
        noise(4096, 99),
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.end(bytes);
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.destroy();
      }
      // connect without tcUrl: new URL(undefined) inside NMS would kill an unpatched process.
      const noTcUrl = await handshake(port);
      noTcUrl.socket.write(command('connect', 1, { app: 'live' }));
      assert.ok((await noTcUrl.closed) < 2000);
      // A proper connect, then publish with a number for the stream name.
      const badPublish = await handshake(port);
      badPublish.socket.write(command('connect', 1, { app: 'live', tcUrl: `rtmp://127.0.0.1:${port}/live` }));
      badPublish.socket.write(command('createStream', 2, null));
      badPublish.socket.write(
        chunked(20, Buffer.concat([amf0Value('publish'), amf0Value(3), Buffer.from([5]), amf0Value(42)]), 1),
      );
      assert.ok((await badPublish.closed) < 3000);
      // Chunk streams each announcing a 16 MiB message: bounded per connection.
      const hog = await handshake(port);
      for (let cid = 4; cid < 12; cid++) {
        const header = Buffer.from([cid, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
        hog.socket.write(Buffer.concat([header, Buffer.alloc(128)]));
      }
      assert.ok((await hog.closed) < 2000);

      const warnings = harness.warnings().join('\n');
      assert.match(warnings, /protocol error: Invalid URL/);
      assert.match(warnings, /RTMP publish refused: stream name "" must be 1-1024 printable characters/);
      assert.match(warnings, /protocol error: client needs \d+ bytes of buffers/);
      assert.ok(harness.spool.health().ok);
      await publishesFine(harness, 'after-garbage');
    } finally {
      await harness.stop();
    }
  });

  test('a connection that sends nothing is closed after idleTimeoutMs', async () => {
    const harness = await RtmpIngestHarness.start(['ingest-rtmp.idleTimeoutMs=300']);
    try {
      const silent = await handshake(harness.port);
      const closedAfterMs = await silent.closed;
      assert.ok(closedAfterMs >= 300 && closedAfterMs < 1500, `closed after ${closedAfterMs} ms`);
      assert.ok(harness.warnings().some((w) => /idle for 300 ms, closed/.test(w)));
    } finally {
      await harness.stop();
    }
  });
});
