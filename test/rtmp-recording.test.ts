import assert from 'node:assert/strict';
import { readdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Spool } from '../core/index.js';
import { type RecordedFile, RecorderHooksToken } from '../plugins/recorder/api.js';
import { RtmpIngestToken } from '../plugins/ingest-rtmp/api.js';
import { RecorderServiceToken } from '../plugins/recorder/api.js';
import { LogCapture } from './helpers/log.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { topLevelBoxTypes } from './helpers/mp4-boxes.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-rtmp-rec-');
const PLUGINS = ['ingest-rtmp', 'recorder', 'writer-mp4', 'hook-scripts'];
const pluginsFile = tmp.json('plugins.json', { plugins: PLUGINS.map((name) => ({ name, enabled: true })) });
after(() => tmp.cleanup());

let caseNo = 0;
async function startSpool(extra: string[] = []) {
  const dir = join(tmp.path, `case-${++caseNo}`);
  const recordDir = join(dir, 'records');
  const log = new LogCapture();
  const spool = await Spool.create({
    pluginsFile,
    sets: [
      'http.port=0',
      'http.host=127.0.0.1',
      'ingest-rtmp.port=0',
      'ingest-rtmp.host=127.0.0.1',
      `recorder.recordDir=${recordDir}`,
      `dataDir=${join(dir, 'data')}`,
      ...extra,
    ],
    env: {},
    logDestination: log,
  });
  await spool.start();
  const finished: RecordedFile[] = [];
  spool.hookCatalogue(RecorderHooksToken).tap('test', 'recordingFinished', (file) => {
    finished.push(file);
  });
  const rtmp = `rtmp://127.0.0.1:${spool.service(RtmpIngestToken).port}/live`;
  return { spool, log, recordDir, finished, rtmp };
}

/** What a user checks on a recording: it decodes cleanly, its codecs, duration, box order, A/V start. */
async function assertPlayableRecording(path: string, expectedSeconds: number, toleranceSeconds = 0.3) {
  assert.equal(await decodeErrors(path), '', `ffmpeg -v error printed nothing for ${path}`);
  const probe = await ffprobe(path);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(audio?.codec_name, 'aac');
  assert.equal(`${video.width}x${video.height}`, '640x360');
  assert.equal(audio.sample_rate, '44100');
  assert.equal(audio.channels, 2);
  const duration = Number(probe.format.duration);
  assert.ok(
    Math.abs(duration - expectedSeconds) <= toleranceSeconds,
    `duration ${duration} s, expected ${expectedSeconds} s`,
  );
  const boxes = await topLevelBoxTypes(path);
  assert.deepEqual(
    boxes.filter((b) => b !== 'free'),
    ['ftyp', 'moov', 'mdat'],
    `box order ${boxes.join(',')}`,
  );
  const skew = Math.abs(Number(video.start_time) - Number(audio.start_time));
  assert.ok(skew <= 0.05, `audio and video start ${skew * 1000} ms apart`);
}

describe('RTMP publish to MP4 recording', () => {
  test('10 s of H.264 (with and without B-frames) + AAC with ?record=true: one clean MP4 each', async () => {
    const { spool, recordDir, finished, rtmp, log } = await startSpool([
      'recorder.fileTemplate={streamName}-{login}',
    ]);
    try {
      const plain = new RtmpPublisher({ url: `${rtmp}/plain?record=true&login=alice`, seconds: 10 });
      const bframes = new RtmpPublisher({
        url: `${rtmp}/bframes?record=true&login=bob`,
        seconds: 10,
        bFrames: 2,
      });
      const results = await Promise.all([plain.exited, bframes.exited]);
      assert.deepEqual(
        results.map((r) => r.code),
        [0, 0],
        plain.stderr + bframes.stderr,
      );
      await waitFor('two finished recordings', () => (finished.length >= 2 ? true : undefined));
      assert.deepEqual(readdirSync(recordDir).sort(), ['bframes-bob.mp4', 'plain-alice.mp4']);
      for (const name of ['plain-alice.mp4', 'bframes-bob.mp4']) {
        await assertPlayableRecording(join(recordDir, name), 10);
      }
      assert.deepEqual(finished.map((f) => f.reason).sort(), ['unpublished', 'unpublished']);
      assert.ok(log.find((l) => String(l.msg).startsWith('recording finished: plain-alice.mp4')));
    } finally {
      await spool.stop();
    }
  });

  test('RTMP is not recorded by default; record_flash_published_streams turns it on, record_streams off', async () => {
    const off = await startSpool();
    try {
      const publisher = new RtmpPublisher({ url: `${off.rtmp}/quiet`, seconds: 2 });
      assert.equal((await publisher.exited).code, 0, publisher.stderr);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(readdirSync(off.recordDir), []);
    } finally {
      await off.spool.stop();
    }
    const flash = await startSpool(['recorder.recordFlashPublishedStreams=true']);
    try {
      const publisher = new RtmpPublisher({ url: `${flash.rtmp}/loud`, seconds: 2 });
      assert.equal((await publisher.exited).code, 0, publisher.stderr);
      const [file] = await waitFor('a recording', () =>
        flash.finished.length > 0 ? flash.finished : undefined,
      );
      assert.match(
        file!.fileName,
        /^stream-[0-9a-f-]{36}-\.mp4$/,
        'the default template with an empty login',
      );
    } finally {
      await flash.spool.stop();
    }
    const none = await startSpool([
      'recorder.recordStreams=false',
      'recorder.recordFlashPublishedStreams=true',
    ]);
    try {
      const publisher = new RtmpPublisher({ url: `${none.rtmp}/never?record=true`, seconds: 2 });
      assert.equal((await publisher.exited).code, 0, publisher.stderr);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(readdirSync(none.recordDir), []);
    } finally {
      await none.spool.stop();
    }
  });

  test('a publisher killed with SIGKILL mid-stream leaves a finalized, clean file', async () => {
    const { spool, recordDir, finished, rtmp } = await startSpool(['recorder.fileTemplate={streamName}']);
    try {
      const publisher = new RtmpPublisher({ url: `${rtmp}/cut?record=true`, seconds: 30 });
      await waitFor('the recording to start', () =>
        spool
          .service(RecorderServiceToken)
          .list()
          .find((r) => r.state === 'writing'),
      );
      await new Promise((r) => setTimeout(r, 4000));
      publisher.kill('SIGKILL');
      const [file] = await waitFor('the recording', () => (finished.length > 0 ? finished : undefined));
      assert.equal(file!.fileName, 'cut.mp4');
      assert.equal(readdirSync(recordDir).join(), 'cut.mp4', 'no temporary files left');
      const duration = file!.durationMs / 1000;
      assert.ok(duration > 3 && duration < 6, `duration ${duration} s`);
      await assertPlayableRecording(join(recordDir, 'cut.mp4'), duration, 0.3);
    } finally {
      await spool.stop();
    }
  });

  test('the hook script gets the stream name and the file path', async () => {
    const argsFile = join(tmp.path, 'hook-args.txt');
    const script = tmp.file('hook.sh', `#!/bin/sh\nprintf '%s\\n' "$1" "$2" > '${argsFile}'\n`);
    chmodSync(script, 0o755);
    const { spool, recordDir, rtmp, log } = await startSpool([
      `hook-scripts.onRecordHookScript=${script}`,
      'recorder.fileTemplate={streamName}',
    ]);
    try {
      const publisher = new RtmpPublisher({ url: `${rtmp}/hooked?record=true`, seconds: 2 });
      await publisher.exited;
      await waitFor('the hook', () =>
        log.find((l) => String(l.msg).startsWith('on_record_hook_script done')),
      );
      assert.equal(readFileSync(argsFile, 'utf8'), `hooked\n${join(recordDir, 'hooked.mp4')}\n`);
    } finally {
      await spool.stop();
    }
  });

  test('an audio-only RTMP publish is recorded to MP4 with AAC', async () => {
    const { spool, recordDir, finished, rtmp } = await startSpool(['recorder.fileTemplate={streamName}']);
    try {
      const publisher = new RtmpPublisher({ url: `${rtmp}/radio?record=true`, seconds: 3, video: false });
      assert.equal((await publisher.exited).code, 0, publisher.stderr);
      await waitFor('the recording', () => (finished.length > 0 ? true : undefined));
      const path = join(recordDir, 'radio.mp4');
      assert.equal(await decodeErrors(path), '');
      const probe = await ffprobe(path);
      assert.deepEqual(
        probe.streams.map((s) => [s.codec_type, s.codec_name]),
        [['audio', 'aac']],
      );
      assert.ok(Math.abs(Number(probe.format.duration) - 3) <= 0.3, `duration ${probe.format.duration}`);
    } finally {
      await spool.stop();
    }
  });
});
