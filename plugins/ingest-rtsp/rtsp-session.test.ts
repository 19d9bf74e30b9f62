import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeCamera } from '../../test/helpers/ingest-rtsp/fake-camera.js';
import { RtspError } from './rtsp-error.js';
import { DEFAULT_LIMITS } from './rtsp-message.js';
import { RtspSession, type SessionOptions } from './rtsp-session.js';

const OPTIONS: SessionOptions = {
  transport: 'tcp',
  localAddress: '127.0.0.1',
  connectTimeoutMs: 2000,
  responseTimeoutMs: 2000,
  keepaliveMaxMs: 30_000,
  receiverReportMs: 5000,
  limits: DEFAULT_LIMITS,
  userAgent: 'test',
};

const cameras: FakeCamera[] = [];
async function camera(options: Parameters<typeof FakeCamera.start>[0] = {}) {
  const started = await FakeCamera.start(options);
  cameras.push(started);
  return started;
}
after(async () => {
  await Promise.all(cameras.map((c) => c.close()));
});

function newSession(uri: string, options: Partial<SessionOptions> = {}) {
  const packets = { rtp: [0, 0], rtcp: [0, 0] };
  const failures: RtspError[] = [];
  const session = new RtspSession(
    uri,
    { ...OPTIONS, ...options },
    {
      onRtp: (track) => packets.rtp[track]!++,
      onRtcp: (track) => packets.rtcp[track]!++,
      onFailure: (error) => failures.push(error),
    },
  );
  return { session, packets, failures };
}

async function rejection(promise: Promise<unknown>): Promise<RtspError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RtspError, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}

describe('RtspSession against a scripted server', () => {
  test('Digest credentials from the URI (escaped @): DESCRIBE, SETUP interleaved, PLAY, media, TEARDOWN', async () => {
    const cam = await camera({ digest: { user: 'admin', password: 'p@ss' } });
    const { session, packets } = newSession(cam.url('/cam', 'admin:p%40ss@'));
    const media = await session.describe();
    assert.deepEqual(
      media.map((m) => m.controlUrl),
      [`${cam.url()}/trackID=1`, `${cam.url()}/trackID=2`],
    );
    await session.setup(media);
    const rtpInfo = await session.play(media);
    assert.deepEqual(rtpInfo, [1000, 500]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(packets.rtp[0]! > 10 && packets.rtp[1]! > 5, JSON.stringify(packets));
    assert.ok(packets.rtcp[0]! >= 1 && packets.rtcp[1]! >= 1, JSON.stringify(packets));
    await session.close();
    assert.deepEqual(cam.methods(), ['OPTIONS', 'OPTIONS', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'TEARDOWN']);
    const authorized = cam.requests
      .slice(1)
      .map((r) => /^Digest username="admin"/.test(r.headers.get('authorization') ?? ''));
    assert.ok(authorized.every(Boolean), 'every request after the challenge carries Digest credentials');
    assert.equal(cam.requests[4]!.headers.get('session'), 'fake42', 'the second SETUP joins the session');
    assert.equal(cam.requests[3]!.headers.get('transport'), 'RTP/AVP/TCP;unicast;interleaved=0-1');
  });

  test('wrong or missing credentials are "unauthorized" after one try with them', async () => {
    const cam = await camera({ digest: { user: 'admin', password: 'right' } });
    const wrong = await rejection(newSession(cam.url('/cam', 'admin:wrong@')).session.describe());
    assert.equal(wrong.kind, 'unauthorized');
    assert.match(wrong.message, /^Unauthorized: DESCRIBE answered 401; the camera refused the credentials/);
    assert.deepEqual(cam.methods(), ['OPTIONS', 'OPTIONS', 'DESCRIBE']);
    const none = await rejection(newSession(cam.url()).session.describe());
    assert.match(none.message, /wants credentials \(put them in the URI\)/);
  });

  test('a 302 on DESCRIBE is followed to the other server', async () => {
    const target = await camera();
    const redirector = await camera({ redirectTo: target.url('/real') });
    const { session } = newSession(redirector.url('/old'));
    const media = await session.describe();
    assert.equal(session.url, target.url('/real'));
    assert.equal(media[0]!.controlUrl, `${target.url('/real')}/trackID=1`);
    await session.close();
    const loop = await camera({
      override: (request) =>
        request.method === 'DESCRIBE'
          ? `RTSP/1.0 301 Moved\r\nCSeq: ${request.headers.get('cseq')}\r\nLocation: /again\r\n\r\n`
          : undefined,
    });
    assert.match(
      (await rejection(newSession(loop.url()).session.describe())).message,
      /more than 5 redirects/,
    );
  });

  test('keepalive (GET_PARAMETER) within the session timeout; a silent server times out', async () => {
    const cam = await camera({ sessionTimeoutS: 2, media: false });
    const { session } = newSession(cam.url());
    const media = await session.describe();
    await session.setup(media);
    await session.play(media);
    await new Promise((resolve) => setTimeout(resolve, 2300));
    assert.equal(cam.methods().filter((m) => m === 'GET_PARAMETER').length, 2, cam.methods().join(' '));
    await session.close();

    const silent = await camera({ override: (r) => (r.method === 'DESCRIBE' ? 'silence' : undefined) });
    const { session: waiting } = newSession(silent.url(), { responseTimeoutMs: 300 });
    const timeout = await rejection(waiting.describe());
    assert.equal(timeout.kind, 'timeout');
    assert.match(timeout.message, /no reply to DESCRIBE rtsp:\/\/127.0.0.1:\d+\/cam within 300 ms/);
  });

  test('a lost connection after PLAY is reported once; refused connections are network errors', async () => {
    const cam = await camera();
    const { session, failures } = newSession(cam.url());
    const media = await session.describe();
    await session.setup(media);
    await session.play(media);
    cam.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      failures.map((f) => f.kind),
      ['network'],
    );
    assert.match(failures[0]!.message, /closed the connection/);
    await session.close();
    const port = cam.port;
    await cam.close();
    const refused = await rejection(newSession(`rtsp://127.0.0.1:${port}/cam`).session.describe());
    assert.deepEqual([refused.kind, refused.message], ['network', `127.0.0.1:${port}: ECONNREFUSED`]);
  });
});
