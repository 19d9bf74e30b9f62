/**
 * RTSP ingest against a real camera: GStreamer's RTSP server (test/helpers/rtsp-camera.py) over
 * real sockets, Spool in this process, recordings judged with ffprobe and a full decode.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RtspIngestToken } from '../plugins/ingest-rtsp/api.js';
import { rtspRest } from './helpers/ingest-rtsp/rtsp-rest.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { RtspCamera, requireGStreamer } from './helpers/rtsp-camera.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-rtsp-ingest-');
const PLUGINS = ['recorder', 'writer-mp4', 'transcoder', 'rest-api', 'ingest-rtsp'];
after(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When the first log line matching `pattern` was written (ms since the epoch). */
function loggedAt(s: InProcessSpool, pattern: RegExp): number | undefined {
  const line = s.log.find((l) => pattern.test(String(l.msg)));
  return line === undefined ? undefined : Number(line.time);
}

/** A decodable MP4 with H.264 640x360 and AAC, of about `seconds`, whose tracks start together. */
async function assertRecording(path: string, seconds: number, toleranceS: number): Promise<void> {
  assert.equal(await decodeErrors(path), '', `${path} decodes without errors`);
  const probe = await ffprobe(path);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(`${video.width}x${video.height}`, '640x360');
  assert.equal(audio?.codec_name, 'aac');
  const duration = Number(probe.format.duration);
  assert.ok(
    Math.abs(duration - seconds) <= toleranceS,
    `${path}: ${duration} s, expected ${seconds} ± ${toleranceS}`,
  );
  const skewMs = Math.abs(Number(video.start_time) - Number(audio.start_time)) * 1000;
  assert.ok(skewMs <= 80, `${path}: audio and video start ${skewMs.toFixed(1)} ms apart`);
  console.log(
    `  ${path.split('/').pop()}: ${duration.toFixed(3)} s, A/V start ${skewMs.toFixed(1)} ms apart`,
  );
}

describe('RTSP ingest from a GStreamer RTSP camera', () => {
  test('/rtsp/startup, 10 s, /rtsp/terminate with record_rtsp_streams=true: one clean 10 s H.264 + AAC MP4', async (t) => {
    if (!requireGStreamer(t)) return;
    const camera = await RtspCamera.start();
    const s = await startSpool(tmp, {
      plugins: PLUGINS,
      sets: ['recorder.recordRtspStreams=true', 'recorder.fileTemplate={streamName}'],
    });
    const rest = rtspRest(s.spool);
    try {
      assert.equal((await rest.call('/rtsp/startup', { uri: camera.url(), toStream: 'lobby' })).status, 200);
      const startedMs = Date.now();
      await rest.captureWhen((c) => c.status === 'PLAYING', 'PLAYING');
      console.log(`  PLAYING ${Date.now() - startedMs} ms after /rtsp/startup`);
      await sleep(5000);
      assert.deepEqual(await rest.captures(), [
        { uri: camera.url(), toStream: 'lobby', status: 'PLAYING', onDemand: false },
      ]);
      assert.equal((await rest.call('/rtsp/startup', { uri: camera.url() })).status, 409);
      const stream = s.spool.bus.find('lobby');
      assert.deepEqual(
        stream?.tracks.map((track) => track.codec),
        ['h264', 'aac'],
      );
      assert.ok(
        s.log.find((l) => /tracks synced by rtcp/.test(String(l.msg))),
        'synced by sender reports',
      );
      await sleep(5000);
      assert.equal((await rest.call('/rtsp/terminate', { uri: camera.url() })).status, 200);
      const [file] = await waitFor('the recording', () => (s.finished.length > 0 ? s.finished : undefined));
      assert.equal(file!.fileName, 'lobby.mp4');
      await assertRecording(file!.filePath, 10, 0.5);
      assert.equal((await rest.call('/rtsp/find_all')).status, 404);
    } finally {
      await s.stop();
      await camera.stop();
    }
  });

  test('Digest and Basic: the right credentials (escaped @ and :) play; wrong ones fail "Unauthorized", not retried', async (t) => {
    if (!requireGStreamer(t)) return;
    const user = 'admin';
    const password = 'p@ss:w rd';
    const digest = await RtspCamera.start({ user, password, auth: 'digest', audio: 'none' });
    const basic = await RtspCamera.start({ user, password, auth: 'basic', audio: 'none' });
    const s = await startSpool(tmp, { plugins: PLUGINS, sets: ['ingest-rtsp.reconnectMinMs=100'] });
    const rest = rtspRest(s.spool);
    try {
      for (const [name, camera] of [
        ['digest', digest],
        ['basic', basic],
      ] as const) {
        await rest.call('/rtsp/startup', { uri: camera.url({ user, password }), toStream: name });
        const stream = await waitFor(`${name} stream`, () => s.spool.bus.find(name), 15_000);
        assert.deepEqual(
          stream.tracks.map((track) => track.codec),
          ['h264'],
        );
        assert.equal((await rest.call('/rtsp/terminate', { uri: camera.url() })).status, 200);
      }
      await rest.call('/rtsp/startup', {
        uri: digest.url({ user, password: 'wrong' }),
        toStream: 'intruder',
      });
      const failed = await rest.captureWhen((c) => c.status === 'FAILED', 'FAILED');
      assert.match(failed.info!, /^Unauthorized/);
      await sleep(2000); // reconnectMinMs is 100 ms: a retry loop would show by now
      assert.equal((await rest.captures())[0]!.status, 'FAILED');
      const lines = s.log.lines.filter((l) => String(l.msg).includes(digest.url()));
      assert.ok(
        lines.some((l) => /Unauthorized.*not retrying/.test(String(l.msg)) && l.level === 50),
        'logged as an error',
      );
      assert.equal(lines.filter((l) => /reconnecting in/.test(String(l.msg))).length, 0, 'no retries');
      assert.ok(!JSON.stringify(s.log.lines).includes('p@ss'), 'no password in the log');
    } finally {
      await s.stop();
      await Promise.all([digest.stop(), basic.stop()]);
    }
  });

  test('the camera killed and restarted: reconnected within 10 s; two playable recordings', async (t) => {
    if (!requireGStreamer(t)) return;
    let camera = await RtspCamera.start();
    const s = await startSpool(tmp, {
      plugins: PLUGINS,
      sets: ['recorder.recordRtspStreams=true', 'recorder.fileTemplate={streamName}-{mediaSessionId}'],
    });
    const rest = rtspRest(s.spool);
    try {
      await rest.call('/rtsp/startup', { uri: camera.url(), toStream: 'yard' });
      await rest.captureWhen((c) => c.status === 'PLAYING', 'PLAYING');
      await sleep(4000);
      await camera.kill('SIGKILL');
      await waitFor('the first recording to close', () => (s.finished.length === 1 ? true : undefined));
      await rest.captureWhen((c) => c.status === 'RECONNECTING', 'RECONNECTING');
      await sleep(1000);
      camera = await RtspCamera.start({ port: camera.port });
      const backMs = Date.now();
      assert.equal(s.spool.bus.find('yard'), undefined, 'the stream ended with the camera');
      await rest.captureWhen((c) => c.status === 'PLAYING', 'PLAYING again', 10_000);
      console.log(`  playing again ${Date.now() - backMs} ms after the camera listened again`);
      await sleep(3000);
      await rest.call('/rtsp/terminate', { uri: camera.url() });
      await waitFor('the second recording', () => (s.finished.length === 2 ? true : undefined));
      const [before, afterRestart] = s.finished;
      assert.notEqual(before!.fileName, afterRestart!.fileName);
      await assertRecording(before!.filePath, 4, 1);
      await assertRecording(afterRestart!.filePath, 3, 0.5);
    } finally {
      await s.stop();
      await camera.stop();
    }
  });

  test('G.711 over UDP, pulled on demand: H.264 + PCMA on the bus, AAC in the MP4', async (t) => {
    if (!requireGStreamer(t)) return;
    const camera = await RtspCamera.start({ audio: 'pcma' });
    const s = await startSpool(tmp, {
      plugins: PLUGINS,
      sets: [
        'recorder.recordRtspStreams=true',
        'ingest-rtsp.transport=udp',
        'ingest-rtsp.clientAddress=127.0.0.1',
      ],
    });
    try {
      const ingest = s.spool.service(RtspIngestToken);
      const stream = await ingest.ensure(camera.url());
      assert.equal(stream.name, camera.url());
      assert.deepEqual(
        stream.tracks.map((track) => track.codec),
        ['h264', 'pcma'],
      );
      const playingMs = Date.now() - loggedAt(s, /: playing as /)!;
      await sleep(4000);
      await ingest.terminate(camera.url());
      const [file] = await waitFor('the recording', () => (s.finished.length > 0 ? s.finished : undefined));
      // The recording holds everything since PLAY: the frames held while the tracks synced too.
      await assertRecording(file!.filePath, 4 + playingMs / 1000, 0.5);
    } finally {
      await s.stop();
      await camera.stop();
    }
  });
});
