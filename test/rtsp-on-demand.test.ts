/**
 * Capture on demand through the REST API (issue 8): startRecording by the name rtsp://… pulls the
 * camera through bus.demand, against GStreamer's RTSP server (test/helpers/rtsp-camera.py), with
 * Spool in this process; recordings are judged with ffprobe and a full decode.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { rtspRest, type RestReply } from './helpers/ingest-rtsp/rtsp-rest.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { freePort } from './helpers/ports.js';
import { RtspCamera, requireGStreamer } from './helpers/rtsp-camera.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-rtsp-on-demand-');
const PLUGINS = ['recorder', 'writer-mp4', 'rest-api', 'ingest-rtsp'];
after(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const USER = 'admin';
const PASSWORD = 'p@ss:w rd';
/** The password as it may leak: raw, or URL-escaped as it is in the URI. */
const LEAKS = [PASSWORD, encodeURIComponent(PASSWORD), `${USER}:`];

interface Started {
  readonly mediaSessionId: string;
  readonly name: string;
  readonly fileName: string;
}

/** Every REST reply of a test, to check that none carries the credentials. */
function recordingRest(s: InProcessSpool) {
  const rest = rtspRest(s.spool);
  const replies: RestReply[] = [];
  const call = async (path: string, body?: unknown) => {
    const reply = await rest.call(path, body);
    replies.push(reply);
    return reply;
  };
  const assertNoCredentials = () => {
    for (const leak of LEAKS) {
      assert.ok(!JSON.stringify(replies).includes(leak), `no ${JSON.stringify(leak)} in a REST reply`);
      assert.ok(!JSON.stringify(s.log.lines).includes(leak), `no ${JSON.stringify(leak)} in the log`);
    }
  };
  return { ...rest, call, assertNoCredentials };
}

/** A clean H.264 + AAC MP4 of `seconds` ± `toleranceS`. */
async function assertRecording(path: string, seconds: number, toleranceS: number): Promise<void> {
  assert.equal(await decodeErrors(path), '', `${path} decodes without errors`);
  const probe = await ffprobe(path);
  assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  const duration = Number(probe.format.duration);
  assert.ok(
    Math.abs(duration - seconds) <= toleranceS,
    `${path}: ${duration} s, expected ${seconds} ± ${toleranceS}`,
  );
  console.log(`  ${path.split('/').pop()}: ${duration.toFixed(3)} s`);
}

describe('capture on demand by REST (GStreamer RTSP camera)', () => {
  test('startRecording {name: rtsp://user:pass@…} pulls the camera, records 5 s; released after stopRecording', async (t) => {
    if (!requireGStreamer(t)) return;
    const camera = await RtspCamera.start({ user: USER, password: PASSWORD, auth: 'digest', keyint: 15 });
    const s = await startSpool(tmp, { plugins: PLUGINS, sets: ['ingest-rtsp.onDemandIdleMs=1500'] });
    const rest = recordingRest(s);
    const unpublished: string[] = [];
    s.spool.hooks.tap('test', 'unpublished', ({ stream }) => void unpublished.push(stream.name));
    try {
      assert.equal((await rest.call('/rtsp/find_all')).status, 404, 'nothing pulled yet');
      assert.equal((await rest.call('/stream/find_all')).status, 404, 'nothing published yet');

      const askedMs = Date.now();
      const reply = await rest.call('/stream/startRecording', {
        name: camera.url({ user: USER, password: PASSWORD }),
        config: { fileTemplate: 'gate', rotation: 'disabled' },
      });
      const recordingMs = Date.now();
      console.log(`  startRecording answered in ${recordingMs - askedMs} ms`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const started = reply.body as Started;
      assert.deepEqual(
        { ...started, mediaSessionId: '' },
        { mediaSessionId: '', name: camera.url(), fileName: 'gate.mp4' },
      );

      assert.deepEqual(await rest.captures(), [
        { uri: camera.url(), toStream: camera.url(), status: 'PLAYING', onDemand: true },
      ]);
      const found = await rest.call('/stream/find', { name: camera.url() });
      assert.equal(found.status, 200);
      assert.deepEqual(
        (found.body as Array<{ mediaSessionId: string; source: string }>).map((v) => [
          v.mediaSessionId,
          v.source,
        ]),
        [[started.mediaSessionId, 'rtsp']],
      );
      assert.deepEqual((await rest.call('/recorder/find_all')).body, [
        { fileName: 'gate.mp4', mediaSessionId: started.mediaSessionId },
      ]);

      await sleep(5000 - (Date.now() - recordingMs));
      const stopped = await rest.call('/stream/stopRecording', { mediaSessionId: started.mediaSessionId });
      const stoppedMs = Date.now();
      assert.equal(stopped.status, 200);
      await assertRecording(join(s.recordDir, 'gate.mp4'), 5, 0.7);

      // Nobody subscribes any more: released after onDemandIdleMs (checked every 750 ms).
      await waitFor(
        'the on-demand capture to be released',
        () => (unpublished.length > 0 ? true : undefined),
        5000,
      );
      console.log(`  released ${Date.now() - stoppedMs} ms after stopRecording (onDemandIdleMs 1500)`);
      assert.deepEqual(unpublished, [camera.url()]);
      assert.equal((await rest.call('/rtsp/find_all')).status, 404);
      assert.equal((await rest.call('/stream/find', { name: camera.url() })).status, 404);
      assert.equal(s.spool.bus.find(camera.url()), undefined);
      assert.ok(s.log.find((l) => /released, nobody used it/.test(String(l.msg))));
      rest.assertNoCredentials();
    } finally {
      await s.stop();
      await camera.stop();
    }
  });

  test('two concurrent startRecording calls for one rtsp:// name pull the camera once', async (t) => {
    if (!requireGStreamer(t)) return;
    const camera = await RtspCamera.start({ keyint: 15 });
    const s = await startSpool(tmp, {
      plugins: PLUGINS,
      sets: ['ingest-rtsp.onDemandIdleMs=1500', 'recorder.fileTemplate={mediaSessionId}-{startTime}'],
    });
    const rest = recordingRest(s);
    try {
      const [a, b] = await Promise.all([
        rest.call('/stream/startRecording', { name: camera.url() }),
        rest.call('/recorder/startup', { name: camera.url() }),
      ]);
      assert.deepEqual([a.status, b.status], [200, 200], JSON.stringify([a.body, b.body]));
      const id = (a.body as Started).mediaSessionId;
      assert.equal((b.body as Started).mediaSessionId, id, 'one stream');
      assert.equal(s.log.lines.filter((l) => /: pulling as /.test(String(l.msg))).length, 1, 'pulled once');
      assert.equal(s.log.lines.filter((l) => /demanded: ingest-rtsp pulls it/.test(String(l.msg))).length, 1);
      assert.equal((await rest.captures()).length, 1);
      // The second call replaced the first one's recording, as startRecording of a recorded stream does.
      const recordings = (await rest.call('/recorder/find_all')).body as Started[];
      assert.deepEqual(
        recordings.map((r) => r.mediaSessionId),
        [id],
      );
      // Once published, a name finds the stream without any pull.
      const third = await rest.call('/stream/startRecording', { name: camera.url() });
      assert.equal((third.body as Started).mediaSessionId, id);
      assert.equal(s.log.lines.filter((l) => /demanded:/.test(String(l.msg))).length, 1);
      await sleep(2000);
      assert.equal((await rest.call('/stream/stopRecording', { mediaSessionId: id })).status, 200);
      // The replaced recordings ended before their first keyframe; whatever they wrote decodes.
      const last = s.finished.at(-1)!;
      assert.deepEqual(readdirSync(s.recordDir).sort(), s.finished.map((f) => f.fileName).sort());
      for (const file of s.finished) assert.equal(await decodeErrors(file.filePath), '', file.fileName);
      await assertRecording(last.filePath, 2, 0.7);
      await waitFor(
        'the release',
        () => (s.spool.bus.find(camera.url()) === undefined ? true : undefined),
        5000,
      );
    } finally {
      await s.stop();
      await camera.stop();
    }
  });

  test('unreachable camera, wrong password: 502 with the reason; unknown name 404; the server goes on', async (t) => {
    if (!requireGStreamer(t)) return;
    const camera = await RtspCamera.start({ user: USER, password: PASSWORD, auth: 'digest', keyint: 15 });
    const closedPort = await freePort();
    const s = await startSpool(tmp, {
      plugins: PLUGINS,
      sets: ['ingest-rtsp.onDemandIdleMs=1000', 'rest-api.demandTimeoutMs=5000'],
    });
    const rest = recordingRest(s);
    try {
      const nowhere = `rtsp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${closedPort}/cam`;
      const askedMs = Date.now();
      const unreachable = await rest.call('/stream/startRecording', { name: nowhere });
      console.log(`  unreachable: ${unreachable.status} after ${Date.now() - askedMs} ms`);
      assert.equal(unreachable.status, 502);
      const { error, code } = unreachable.body as { error: string; code: string };
      assert.equal(code, 'SPOOL_ERR_STREAM_UNAVAILABLE');
      assert.match(
        error,
        new RegExp(
          `^stream "rtsp://127\\.0\\.0\\.1:${closedPort}/cam" could not be pulled by ingest-rtsp: .*` +
            'was not playing within 5000 ms: .*ECONNREFUSED',
        ),
      );

      const wrong = await rest.call('/recorder/startup', {
        name: camera.url({ user: USER, password: 'nope' }),
      });
      assert.equal(wrong.status, 502);
      assert.match(
        (wrong.body as { error: string }).error,
        /could not be pulled by ingest-rtsp: Unauthorized/,
      );

      const unknown = await rest.call('/stream/startRecording', { name: 'lobby' });
      assert.deepEqual(unknown.body, {
        error: 'no stream named "lobby" is published, and no plugin can pull it',
        code: 'SPOOL_ERR_NOT_FOUND',
      });
      assert.equal(unknown.status, 404);
      assert.equal((await rest.call('/rtsp/startup', { uri: 'rtsps://x/' })).status, 400);
      const malformed = await rest.call('/stream/startRecording', {
        name: `rtsp://${USER}:p%ZZ@127.0.0.1/cam`,
      });
      assert.deepEqual(malformed.body, {
        error: 'the password in the URI has a malformed %-escape',
        code: 'SPOOL_ERR_BAD_REQUEST',
      });
      assert.equal(malformed.status, 400);
      const insecure = await rest.call('/stream/startRecording', { name: 'rtsps://127.0.0.1/cam' });
      assert.equal(insecure.status, 404, 'rtsps:// is not pulled');

      // The failed captures are let go, not retried for nobody; the server still records.
      await waitFor(
        'the failed captures to be released',
        () =>
          s.log.lines.filter((l) => /released, nobody used it/.test(String(l.msg))).length >= 2
            ? true
            : undefined,
        5000,
      );
      assert.equal((await rest.call('/rtsp/find_all')).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${s.spool.httpPort}/health`)).status, 200);
      const right = await rest.call('/stream/startRecording', {
        name: camera.url({ user: USER, password: PASSWORD }),
      });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      await sleep(1000);
      const id = (right.body as Started).mediaSessionId;
      assert.equal((await rest.call('/stream/stopRecording', { mediaSessionId: id })).status, 200);
      assert.equal(await decodeErrors(s.finished.at(-1)!.filePath), '');
      rest.assertNoCredentials();
    } finally {
      await s.stop();
      await camera.stop();
    }
  });
});
