import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Spool, type Track } from '../../core/index.js';
import { type RecordedFile, RecorderHooksToken } from './api.js';
import { LogCapture } from '../../test/helpers/log.js';
import { loopFrames, makeClip, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { topLevelBoxTypes } from '../../test/helpers/mp4-boxes.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { waitFor } from '../../test/helpers/wait.js';
import { RecorderServiceToken } from './api.js';

const tmp = new TempDir('spool-recorder-');
const pluginsFile = tmp.json('plugins.json', {
  plugins: [
    { name: 'recorder', enabled: true },
    { name: 'writer-mp4', enabled: true },
  ],
});
let media: MediaFile;
before(async () => {
  media = await readMediaFile(await makeClip({ seconds: 4, bFrames: 2 }));
});
after(() => tmp.cleanup());

let caseNo = 0;
async function withRecorder(
  sets: string[],
  run: (ctx: { spool: Spool; recordDir: string; finished: RecordedFile[] }) => Promise<void>,
) {
  const recordDir = join(tmp.path, `records-${++caseNo}`);
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1', `recorder.recordDir=${recordDir}`, ...sets],
    env: {},
    logDestination: new LogCapture(),
  });
  const finished: RecordedFile[] = [];
  spool.hookCatalogue(RecorderHooksToken).tap('test', 'recordingFinished', (file) => {
    finished.push(file);
  });
  await spool.start();
  try {
    await run({ spool, recordDir, finished });
  } finally {
    await spool.stop();
  }
}

/** Publishes the clip on the bus (as fast as the bus takes it) and ends the stream. */
async function publishClip(
  spool: Spool,
  name: string,
  options: { record?: boolean; login?: string; seconds?: number } = {},
) {
  const tracks: Track[] = [media.video!.track, media.audio!.track];
  const stream = await spool.bus.publish({
    name,
    login: options.login ?? '',
    source: 'test',
    record: options.record ?? true,
    tracks,
    query: {},
  });
  let written = 0;
  for (const frame of loopFrames(media, { totalS: options.seconds ?? 4 })) {
    stream.writeFrame(frame);
    // Let the recorder drain now and then, as a real-time publisher would.
    if (++written % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  await stream.end('publisher left');
  return stream;
}

describe('recorder with the bus as the source', () => {
  test('hostile stream names never leave record_dir and nothing is executed', async () => {
    const names = ['../escape', '/etc/cron.d/x', '$(touch pwned)', 'name with spaces', 'ünïcødé ⚽', '..'];
    await withRecorder(
      ['recorder.fileTemplate={streamName}', 'recorder.excludeRecordNameCharacters='],
      async ({ spool, recordDir, finished }) => {
        for (const name of names) await publishClip(spool, name, { seconds: 1 });
        await spool.service(RecorderServiceToken).recovered;
        await waitFor('finished recordings', () => (finished.length >= names.length ? true : undefined));
        for (const file of finished) {
          assert.equal(dirname(file.filePath), recordDir, file.filePath);
          assert.ok(existsSync(file.filePath));
        }
        assert.deepEqual(
          readdirSync(recordDir).sort(),
          [
            '$(touch pwned).mp4',
            '_etc_cron.d_x.mp4',
            '__.mp4',
            '.._escape.mp4',
            'name with spaces.mp4',
            'ünïcødé ⚽.mp4',
          ].sort(),
        );
        assert.ok(!existsSync(join(process.cwd(), 'pwned')));
        assert.ok(!existsSync(join(recordDir, '..', 'escape.mp4')));
      },
    );
  });

  test('fileName and segmentClosed: a plugin renames the file and hears of each closed file', async () => {
    await withRecorder(['recorder.fileTemplate={streamName}'], async ({ spool, recordDir, finished }) => {
      const hooks = spool.service(RecorderHooksToken, 'namer');
      const closed: RecordedFile[] = [];
      hooks.fileName.tap((args) => ({ ...args, name: `renamed-${args.name}` }));
      hooks.segmentClosed.tap((file) => {
        closed.push(file);
      });
      await publishClip(spool, 'named', { seconds: 1 });
      await waitFor('finished recordings', () => (finished.length >= 1 ? true : undefined));
      assert.equal(finished[0]!.fileName, 'renamed-named.mp4');
      assert.ok(existsSync(join(recordDir, 'renamed-named.mp4')));
      assert.deepEqual(
        closed.map((file) => file.fileName),
        ['renamed-named.mp4'],
      );
    });
  });

  test('the file is finalized with moov first, decodes cleanly, and lasts as long as the stream', async () => {
    await withRecorder(
      ['recorder.fileTemplate={streamName}-{login}-{videoCodec}-{audioCodec}-{duration}'],
      async ({ spool, recordDir, finished }) => {
        await publishClip(spool, 'clip', { login: 'carol', seconds: 4 });
        await waitFor('finished recordings', () => (finished.length >= 1 ? true : undefined));
        const [file] = finished;
        assert.match(file!.fileName, /^clip-carol-h264-aac-\d+\.mp4$/);
        const durationFromName = Number(/-(\d+)\.mp4$/.exec(file!.fileName)![1]);
        assert.ok(Math.abs(durationFromName - 4000) < 100, `{duration} = ${durationFromName} ms`);
        const path = join(recordDir, file!.fileName);
        assert.equal(await decodeErrors(path), '');
        assert.deepEqual(await topLevelBoxTypes(path), ['ftyp', 'moov', 'mdat']);
        const probe = await ffprobe(path);
        assert.ok(Math.abs(Number(probe.format.duration) - 4) <= 0.3);
        assert.deepEqual(readdirSync(recordDir), [file!.fileName], 'no temporary file or journal is left');
      },
    );
  });

  test('moov last and reserved space follow the writer-mp4 settings', async () => {
    await withRecorder(
      ['recorder.fileTemplate={streamName}', 'writer-mp4.moovFirst=false'],
      async ({ spool, recordDir, finished }) => {
        await publishClip(spool, 'last', { seconds: 2 });
        await waitFor('finished recordings', () => (finished.length >= 1 ? true : undefined));
        assert.deepEqual(await topLevelBoxTypes(join(recordDir, 'last.mp4')), ['ftyp', 'mdat', 'moov']);
      },
    );
    await withRecorder(
      ['recorder.fileTemplate={streamName}', 'writer-mp4.reserveSpace=true', 'writer-mp4.reservedSpaceKb=64'],
      async ({ spool, recordDir, finished }) => {
        await publishClip(spool, 'reserved', { seconds: 2 });
        await waitFor('finished recordings', () => (finished.length >= 1 ? true : undefined));
        const path = join(recordDir, 'reserved.mp4');
        assert.deepEqual(await topLevelBoxTypes(path), ['ftyp', 'moov', 'free', 'mdat']);
        assert.equal(await decodeErrors(path), '');
      },
    );
  });

  test('REST-style start and stop through the recorder service; a stream ending before a keyframe leaves no file', async () => {
    await withRecorder(['recorder.fileTemplate={streamName}'], async ({ spool, recordDir, finished }) => {
      const service = spool.service(RecorderServiceToken);
      const stream = await spool.bus.publish({
        name: 'ondemand',
        login: '',
        source: 'test',
        record: false,
        tracks: [media.video!.track, media.audio!.track],
        query: {},
      });
      assert.deepEqual(service.list(), []);
      const status = await service.start(stream.mediaSessionId, { fileTemplate: '{streamName}-rest' });
      assert.equal(status.fileName, 'ondemand-rest.mp4');
      assert.equal(service.list().length, 1);
      for (const frame of loopFrames(media, { totalS: 2 })) stream.writeFrame(frame);
      const file = await service.stop(stream.mediaSessionId);
      assert.equal(file?.fileName, 'ondemand-rest.mp4');
      assert.equal(await decodeErrors(join(recordDir, 'ondemand-rest.mp4')), '');
      await assert.rejects(service.stop(stream.mediaSessionId), /no recording/);
      await service.start(stream.mediaSessionId);
      await stream.end('gone');
      await waitFor('no running recording', () => (service.list().length === 0 ? true : undefined));
      assert.equal(finished.length, 1, 'the second recording saw no keyframe: no file, no hook');
    });
  });

  test('two concurrent on-demand starts for one stream leave exactly one recording running', async () => {
    await withRecorder(['recorder.fileTemplate={streamName}'], async ({ spool }) => {
      const service = spool.service(RecorderServiceToken);
      const tracks = [media.video!.track, media.audio!.track];
      const stream = await spool.bus.publish({
        name: 'race',
        login: '',
        source: 'test',
        record: false,
        tracks,
        query: {},
      });
      const [first, second] = await Promise.all([
        service.start(stream.mediaSessionId),
        service.start(stream.mediaSessionId),
      ]);
      assert.notEqual(first.recordingId, second.recordingId);
      assert.deepEqual(
        service.list().map((r) => r.recordingId),
        [second.recordingId],
      );
      assert.equal(
        stream.subscriberCount,
        1,
        'the first recording was stopped, not left running unreferenced',
      );
      await stream.end('done');
      await waitFor('no running recording', () => (service.list().length === 0 ? true : undefined));
    });
  });
});
