import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Spool } from '../core/index.js';
import { RtmpIngestToken } from '../plugins/ingest-rtmp/api.js';
import { LogCapture } from './helpers/log.js';
import { makeClip } from './helpers/media-file.js';
import { decodeErrors, ffmpeg, ffprobe } from './helpers/media-tools.js';
import { topLevelBoxTypes } from './helpers/mp4-boxes.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

/** GOP of the test clips and of the RTMP publisher: 30 frames at 30 fps. */
const GOP_S = 1;

const tmp = new TempDir('spool-records-cut-');
after(() => tmp.cleanup());
const recordDir = join(tmp.path, 'records');
mkdirSync(recordDir);
const httpOnly = tmp.json('plugins.json', { plugins: [{ name: 'records-http', enabled: true }] });

/** A started Spool, stopped when test `t` ends, with helpers to request records and read counters. */
async function startSpool(t: TestContext, sets: string[] = [], pluginsFile = httpOnly) {
  const log = new LogCapture();
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1', `records-http.recordDir=${recordDir}`, ...sets],
    env: {},
    logDestination: log,
  });
  t.after(() => spool.stop());
  await spool.start();
  const base = `http://127.0.0.1:${spool.httpPort}/client/records/`;
  const get = async (path: string, init?: RequestInit) => {
    const response = await fetch(base + path, init);
    return { response, body: Buffer.from(await response.arrayBuffer()) };
  };
  /** spool_record_cuts_total by result. */
  const cutCounts = async (): Promise<Record<string, number>> => {
    const metric = spool.metrics.registry.getSingleMetric('spool_record_cuts_total');
    const values = (await metric!.get()).values;
    return Object.fromEntries(values.map((v) => [String(v.labels.result), v.value]));
  };
  return { spool, log, get, cutCounts };
}

async function durationS(path: string): Promise<number> {
  return Number((await ffprobe(path)).format.duration);
}

/** A cut that decodes cleanly, with moov before mdat, lasting `expectedS` plus at most one GOP. */
async function assertCut(path: string, expectedS: number, slackS = GOP_S + 0.1): Promise<void> {
  assert.equal(await decodeErrors(path), '', `${path} decodes cleanly`);
  const duration = await durationS(path);
  assert.ok(
    duration >= expectedS - 0.05 && duration <= expectedS + slackS,
    `duration ${duration} s, expected ${expectedS} s (+ at most ${slackS} s)`,
  );
  const boxes = await topLevelBoxTypes(path);
  assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(','));
}

/** MD5 of the first picture shown from `seekS` (ffmpeg decodes up to it exactly). */
async function pictureAt(path: string, seekS = 0): Promise<string> {
  const args = ['-v', 'error', ...(seekS > 0 ? ['-ss', String(seekS)] : []), '-i', path];
  const { stdout } = await ffmpeg([...args, '-map', '0:v:0', '-frames:v', '1', '-f', 'framemd5', '-']);
  const line = stdout
    .toString()
    .split('\n')
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  return line?.split(',').at(-1)?.trim() ?? '';
}

const cutTemps = () => readdirSync(recordDir).filter((n) => n.startsWith('.cut-'));
const cutsOnDisk = (dir = recordDir) => readdirSync(dir).filter((n) => /-s[\d.]+(-e[\d.]+)?\.mp4$/.test(n));

before(async () => {
  copyFileSync(await makeClip({ seconds: 90, bFrames: 2 }), join(recordDir, 'rec90.mp4'));
  copyFileSync(await makeClip({ seconds: 20, bFrames: 0, video: false }), join(recordDir, 'radio.mp4'));
  tmp.file('records/show.webm', 'not cut: served whole');
  tmp.file('records/broken.mp4', 'this is not an MP4 file');
  tmp.file('records/.spool-live.mp4', 'a recording in progress');
});

describe('MP4 time-range cuts (?start=&end=)', () => {
  test('90 s recording, ?start=11&end=60: a clean 49 s cut, written once and then reused', async (t) => {
    const { get, cutCounts } = await startSpool(t);
    const first = await get('rec90.mp4?start=11&end=60');
    assert.equal(first.response.status, 200);
    assert.equal(first.response.headers.get('content-type'), 'video/mp4');
    assert.equal(first.response.headers.get('content-disposition'), 'inline;filename="rec90-s11-e60.mp4"');
    const cutPath = join(recordDir, 'rec90-s11-e60.mp4');
    assert.ok(first.body.equals(readFileSync(cutPath)), 'the body is the cut file');
    assert.ok(first.body.length < statSync(join(recordDir, 'rec90.mp4')).size * 0.7);
    await assertCut(cutPath, 49);
    assert.equal((await ffprobe(cutPath)).streams.length, 2, 'video and audio');
    const before = statSync(cutPath);

    const second = await get('rec90.mp4?start=11&end=60');
    assert.equal(second.response.status, 200);
    assert.ok(second.body.equals(first.body));
    assert.equal(second.response.headers.get('etag'), first.response.headers.get('etag'));
    const again = statSync(cutPath);
    assert.equal(again.ino, before.ino, 'same inode: not cut again');
    assert.equal(again.mtimeMs, before.mtimeMs, 'same mtime');
    assert.deepEqual(await cutCounts(), { written: 1, reused: 1 });
  });

  test('a start between keyframes: copied from the keyframe before, shown from the exact start', async (t) => {
    const { get } = await startSpool(t);
    assert.equal((await get('rec90.mp4?start=11.5&end=20')).response.status, 200);
    const cutPath = join(recordDir, 'rec90-s11.5-e20.mp4');
    await assertCut(cutPath, 8.5, 0.1);
    // The edit list hides the half GOP before 11.5 s: the first picture shown is the source's at 11.5 s.
    assert.equal(await pictureAt(cutPath), await pictureAt(join(recordDir, 'rec90.mp4'), 11.5));
  });

  test('?start only runs to the end; ?end only starts at 0; audio-only MP4s are cut too', async (t) => {
    const { get } = await startSpool(t);
    assert.equal((await get('rec90.mp4?start=80')).response.status, 200);
    await assertCut(join(recordDir, 'rec90-s80.mp4'), 10);
    assert.equal((await get('rec90.mp4?end=5')).response.status, 200);
    await assertCut(join(recordDir, 'rec90-s0-e5.mp4'), 5);

    const audio = await get('radio.mp4?start=5&end=12');
    assert.equal(audio.response.status, 200);
    const audioCut = join(recordDir, 'radio-s5-e12.mp4');
    await assertCut(audioCut, 7, 0.1);
    assert.deepEqual(
      (await ffprobe(audioCut)).streams.map((s) => [s.codec_type, s.codec_name]),
      [['audio', 'aac']],
    );
  });

  test('bad start/end: 400 with a JSON error and code; nothing is written', async (t) => {
    const { get } = await startSpool(t);
    const cutsBefore = cutsOnDisk();
    const bad: Array<[string, RegExp]> = [
      ['start=abc', /start must be a number/],
      ['end=1e3', /end must be a number/],
      ['start=-1', /start must not be negative/],
      ['start=10&end=5', /must be less than end/],
      ['start=5&end=5', /must be less than end/],
      ['start=1&start=2', /more than once/],
      ['start=90', /not before the end of rec90\.mp4 \(90 s\)/],
      ['start=120&end=130', /not before the end/],
    ];
    for (const [query, message] of bad) {
      for (const method of ['GET', 'HEAD']) {
        const { response, body } = await get(`rec90.mp4?${query}`, { method });
        assert.equal(response.status, 400, `${method} ${query}`);
        if (method === 'HEAD') continue;
        const json = JSON.parse(body.toString()) as { error: string; code: string };
        assert.equal(json.code, 'SPOOL_ERR_BAD_REQUEST', query);
        assert.match(json.error, message, query);
      }
    }
    assert.deepEqual(cutsOnDisk(), cutsBefore);
    assert.deepEqual(cutTemps(), [], 'no temp files');
  });

  test('5 concurrent requests for one cut: it is written once, all get the same bytes', async (t) => {
    const { get, log, cutCounts } = await startSpool(t);
    const responses = await Promise.all(Array.from({ length: 5 }, () => get('rec90.mp4?start=20&end=40')));
    for (const { response, body } of responses) {
      assert.equal(response.status, 200);
      assert.ok(body.equals(responses[0]!.body));
    }
    assert.deepEqual(await cutCounts(), { written: 1 });
    const written = log.lines.filter((l) => String(l.msg).startsWith('cut written: rec90-s20-e40.mp4'));
    assert.equal(written.length, 1);
    assert.match(String(written[0]!.msg), /on the own pool/, 'no recorder: records-http has its own pool');
  });

  test('Range on a cut: bytes=0-99 is a 206 of 100 bytes; HEAD gives the length', async (t) => {
    const { get } = await startSpool(t);
    const ranged = await get('rec90.mp4?start=30&end=35', { headers: { Range: 'bytes=0-99' } });
    const cut = readFileSync(join(recordDir, 'rec90-s30-e35.mp4'));
    assert.equal(ranged.response.status, 206);
    assert.equal(ranged.body.length, 100);
    assert.ok(ranged.body.equals(cut.subarray(0, 100)));
    assert.equal(ranged.response.headers.get('content-range'), `bytes 0-99/${cut.length}`);
    const head = await get('rec90.mp4?start=30&end=35', { method: 'HEAD' });
    assert.equal(head.response.status, 200);
    assert.equal(head.response.headers.get('content-length'), String(cut.length));
  });

  test('non-MP4 files are served whole with ?start; a broken MP4 fails with 500 and is not cached', async (t) => {
    const { get, cutCounts } = await startSpool(t);
    const inProgress = await get('.spool-live.mp4?start=1&end=2');
    assert.equal(inProgress.response.status, 404, 'a recording in progress is neither served nor cut');

    const webm = await get('show.webm?start=5&end=10');
    assert.equal(webm.response.status, 200);
    assert.equal(webm.body.toString(), 'not cut: served whole');
    assert.equal(webm.response.headers.get('content-disposition'), 'inline;filename="show.webm"');

    for (let i = 0; i < 2; i++) {
      const broken = await get('broken.mp4?start=1&end=2');
      assert.equal(broken.response.status, 500);
      assert.equal((JSON.parse(broken.body.toString()) as { code: string }).code, 'SPOOL_ERR_INTERNAL');
    }
    assert.deepEqual(await cutCounts(), { failed: 2 }, 'the failure was not cached: tried twice');
    assert.ok(!readdirSync(recordDir).some((n) => n.startsWith('broken-')));
    assert.deepEqual(cutTemps(), [], 'the failed cut left no temp file');
  });

  test('mp4_cutter_dir keeps cuts apart from the recordings; temps left by a crash are removed at start', async (t) => {
    const cutterDir = join(tmp.path, 'cuts');
    const crashed = tmp.file('cuts/.cut-rec90-s1-e2.mp4.999-dead.part', 'left by a crash');
    const writing = tmp.file('cuts/.cut-rec90-s3-e4.mp4.998-beef.part', 'another process writing');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(crashed, twoHoursAgo, twoHoursAgo);
    const { get } = await startSpool(t, [`records-http.mp4CutterDir=${cutterDir}`]);
    const cutsBefore = cutsOnDisk();
    assert.equal((await get('rec90.mp4?start=50&end=52')).response.status, 200);
    assert.deepEqual(readdirSync(cutterDir).sort(), [basename(writing), 'rec90-s50-e52.mp4']);
    assert.deepEqual(cutsOnDisk(), cutsBefore);
  });

  test('an RTMP recording is cut on the recorder worker pool', async (t) => {
    const plugins = ['ingest-rtmp', 'recorder', 'writer-mp4', 'records-http'];
    const pluginsFile = tmp.json('plugins-rtmp.json', {
      plugins: plugins.map((name) => ({ name, enabled: true })),
    });
    const { spool, get, log } = await startSpool(
      t,
      [
        'ingest-rtmp.port=0',
        'ingest-rtmp.host=127.0.0.1',
        `recorder.recordDir=${recordDir}`,
        'recorder.fileTemplate={streamName}',
        `dataDir=${join(tmp.path, 'data')}`,
      ],
      pluginsFile,
    );
    const port = spool.service(RtmpIngestToken).port;
    const publisher = new RtmpPublisher({
      url: `rtmp://127.0.0.1:${port}/live/live12?record=true`,
      seconds: 12,
    });
    assert.equal((await publisher.exited).code, 0, publisher.stderr);
    await waitFor('the recording', () =>
      log.find((l) => String(l.msg).startsWith('recording finished: live12')),
    );
    const cut = await get('live12.mp4?start=3&end=9');
    assert.equal(cut.response.status, 200);
    await assertCut(join(recordDir, 'live12-s3-e9.mp4'), 6);
    assert.ok(log.find((l) => /^cut written: live12-s3-e9\.mp4 .*on the recorder pool/.test(String(l.msg))));
  });
});
