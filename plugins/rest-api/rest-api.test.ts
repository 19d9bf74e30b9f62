import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame, Stream } from '../../core/index.js';
import { loopFrames, makeClip, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { publish, RestSpoolKit, type RestSpool } from '../../test/helpers/rest-api/rest-spool.js';

const kit = new RestSpoolKit();
let media: MediaFile;
before(async () => {
  media = await readMediaFile(await makeClip({ seconds: 2, bFrames: 2 }));
});
after(() => kit.tmp.cleanup());

const tracks = () => [media.video!.track, media.audio!.track];

/** Writes frames until (and including) the first one at `untilS` seconds or later. */
function writeUntil(stream: Stream, frames: Iterator<Frame>, untilS: number): void {
  for (let next = frames.next(); !next.done; next = frames.next()) {
    stream.writeFrame(next.value);
    if (next.value.arrivalMs >= untilS * 1000) return;
  }
}

/** Polls /recorder/find_all until `accept` takes its list. */
async function recordingsWhen(rest: RestSpool, accept: (list: Array<Record<string, string>>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status, body } = await rest.call('/recorder/find_all');
    const list = status === 200 ? (body as Array<Record<string, string>>) : [];
    if (accept(list)) return list;
    if (Date.now() > deadline) throw new Error(`recorder/find_all never matched: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function assertDecodes(recordDir: string, ...names: string[]) {
  assert.deepEqual(readdirSync(recordDir).sort(), [...names].sort());
  for (const name of names) assert.equal(await decodeErrors(join(recordDir, name)), '', name);
}

describe('rest-api with real recordings', () => {
  test('find shows a publishing stream; startup records it under the REST fileTemplate; terminate finishes it', async () => {
    await kit.run([], async (rest) => {
      assert.equal((await rest.call('/stream/find_all')).status, 404);
      const stream = await publish(rest.spool, 'cam', tracks());
      const id = stream.mediaSessionId;
      const view = {
        mediaSessionId: id,
        name: 'cam',
        published: true,
        status: 'PUBLISHING',
        source: 'test',
        hasAudio: true,
        hasVideo: true,
        audioCodec: 'aac',
        videoCodec: 'h264',
        record: false,
        login: 'alice',
        viewers: 0,
        viewersByProtocol: {},
      };
      const all = await rest.call('/stream/find_all');
      assert.deepEqual([all.status, all.body], [200, [view]]);
      const countOut = stream.addViewer('rtmp');
      const watched = (await rest.call('/stream/find_all')).body as Array<{ viewers: number }>;
      assert.deepEqual(watched, [{ ...view, viewers: 1, viewersByProtocol: { rtmp: 1 } }]);
      countOut();
      for (const query of [{ name: 'cam' }, { mediaSessionId: id }, { name: 'cam', mediaSessionId: id }]) {
        assert.deepEqual((await rest.call('/stream/find', query)).body, [view], JSON.stringify(query));
      }
      for (const query of [
        { name: 'other' },
        { mediaSessionId: 'other' },
        { name: 'other', mediaSessionId: id },
      ]) {
        assert.equal((await rest.call('/stream/find', query)).status, 404, JSON.stringify(query));
      }
      assert.equal((await rest.call('/recorder/find_all')).status, 404);

      const started = await rest.call('/recorder/startup', {
        mediaSessionId: id,
        config: { fileTemplate: '{streamName}-on-demand-{login}', rotation: 'disabled' },
      });
      assert.deepEqual(
        [started.status, started.body],
        [200, { mediaSessionId: id, name: 'cam', fileName: 'cam-on-demand-alice.mp4' }],
      );
      assert.deepEqual((await rest.call('/recorder/find_all')).body, [
        { fileName: 'cam-on-demand-alice.mp4', mediaSessionId: id },
      ]);
      writeUntil(stream, loopFrames(media, { totalS: 2 }), 2);
      const stopped = await rest.call('/recorder/terminate', { mediaSessionId: id });
      assert.deepEqual([stopped.status, stopped.body], [200, undefined]);
      await assertDecodes(rest.recordDir, 'cam-on-demand-alice.mp4');
      const probe = await ffprobe(join(rest.recordDir, 'cam-on-demand-alice.mp4'));
      assert.ok(Math.abs(Number(probe.format.duration) - 2) <= 0.3, `duration ${probe.format.duration}`);
      assert.equal((await rest.call('/recorder/terminate', { mediaSessionId: id })).status, 404);
      assert.equal((await rest.call('/recorder/find_all')).status, 404);

      await stream.end('publisher left');
      assert.equal((await rest.call('/stream/find', { mediaSessionId: id })).status, 404);
      assert.equal((await rest.call('/recorder/startup', { mediaSessionId: id })).status, 404);
    });
  });

  test('startRecording by name: the published stream of that name; unknown 404, both or neither 400', async () => {
    await kit.run(['recorder.fileTemplate={streamName}'], async (rest) => {
      const unknown = await rest.call('/stream/startRecording', { name: 'lobby' });
      assert.deepEqual(
        [unknown.status, unknown.body],
        [
          404,
          {
            error: 'no stream named "lobby" is published, and no plugin can pull it',
            code: 'SPOOL_ERR_NOT_FOUND',
          },
        ],
      );
      // Without the RTSP ingest nobody pulls rtsp:// names; the credentials are not echoed.
      const camera = await rest.call('/recorder/startup', { name: 'rtsp://admin:s3cret@127.0.0.1:1/cam' });
      assert.deepEqual(
        [camera.status, (camera.body as { error: string }).error],
        [404, 'no stream named "rtsp://127.0.0.1:1/cam" is published, and no plugin can pull it'],
      );
      const stream = await publish(rest.spool, 'lobby', tracks());
      const id = stream.mediaSessionId;
      for (const body of [
        { name: 'lobby', mediaSessionId: id },
        { config: { rotation: 20 } },
        { name: '' },
      ]) {
        const refused = await rest.call('/stream/startRecording', body);
        assert.equal(refused.status, 400, JSON.stringify(body));
      }
      const both = await rest.call('/recorder/startup', { name: 'lobby', mediaSessionId: id });
      assert.match((both.body as { error: string }).error, /exactly one of: \{mediaSessionId\}; \{name\}/);

      const started = await rest.call('/stream/startRecording', { name: 'lobby' });
      assert.deepEqual(
        [started.status, started.body],
        [200, { mediaSessionId: id, name: 'lobby', fileName: 'lobby.mp4' }],
      );
      writeUntil(stream, loopFrames(media, { totalS: 2 }), 2);
      const stopped = await rest.call('/stream/stopRecording', { mediaSessionId: id });
      assert.equal(stopped.status, 200);
      await assertDecodes(rest.recordDir, 'lobby.mp4');
      assert.ok(!JSON.stringify(rest.log.lines).includes('s3cret'), 'no credentials in the log');
      await stream.end('done');
    });
  });

  test("startRecording replaces the publisher's recording; find_all lists both kinds; a missing setting is the server's", async () => {
    await kit.run(['recorder.fileTemplate={streamName}-{startTime}-{endTime}'], async (rest) => {
      const byPublisher = await publish(rest.spool, 'pub', tracks(), true);
      const onDemand = await publish(rest.spool, 'rest', tracks());
      const pubFrames = loopFrames(media, { totalS: 3 });
      const restFrames = loopFrames(media, { totalS: 3 });
      const started = await rest.call('/stream/startRecording', { mediaSessionId: onDemand.mediaSessionId });
      assert.equal(started.status, 200);
      writeUntil(byPublisher, pubFrames, 1.5);
      writeUntil(onDemand, restFrames, 1.5);
      // As in the reference: {endTime} is known only at the end and shows unresolved.
      const running = await recordingsWhen(
        rest,
        (list) => list.length === 2 && list.every((r) => /-\d+-\{endTime\}\.mp4$/.test(r.fileName!)),
      );
      assert.deepEqual(running.map((r) => [r.fileName!.split('-')[0], r.mediaSessionId]).sort(), [
        ['pub', byPublisher.mediaSessionId],
        ['rest', onDemand.mediaSessionId],
      ]);

      const replaced = await rest.call('/stream/startRecording', {
        mediaSessionId: byPublisher.mediaSessionId,
        config: { fileTemplate: '{streamName}-second', rotation: '20M' },
      });
      assert.equal(replaced.status, 200);
      const first = readdirSync(rest.recordDir);
      assert.equal(first.length, 1, 'the running recording was finished before the new one started');
      assert.match(first[0]!, /^pub--?\d+--?\d+\.mp4$/, '{startTime} and {endTime} resolved');
      writeUntil(byPublisher, pubFrames, 3);
      writeUntil(onDemand, restFrames, 3);
      for (const stream of [byPublisher, onDemand]) {
        const { status } = await rest.call('/stream/stopRecording', {
          mediaSessionId: stream.mediaSessionId,
        });
        assert.equal(status, 200);
      }
      const restFile = readdirSync(rest.recordDir).find((name) => name.startsWith('rest-'));
      assert.match(restFile ?? '', /^rest--?\d+--?\d+\.mp4$/);
      await assertDecodes(rest.recordDir, first[0]!, 'pub-second.mp4', restFile!);
    });
  });
});
