/**
 * {startTime} and {endTime} come from the frames' timestamps: a WebRTC stream's on the publisher's own
 * wall clock (its RTCP sender reports' NTP time, as Unix ms: test-1553577643961-1553577663988_1.mp4 in
 * the reference's examples), a stream without such a clock (RTMP, the bus) from 0.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { openChromium } from './helpers/chromium.js';
import { publishFile } from './helpers/file-publisher.js';
import { makeClip, readMediaFile } from './helpers/media-file.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { startSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-record-times-');
after(() => tmp.cleanup());

const TEMPLATE = 'recorder.fileTemplate={streamName}-{startTime}-{endTime}';
const WHIP_CLIENT = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/whip-page/whip-client.js',
);

declare const window: {
  whip: {
    publish(options: {
      url: string;
      codec: string;
      source: string;
    }): Promise<{ status: number; body?: string }>;
    connectionState(): string;
    stop(): Promise<number>;
  };
};

async function durationOf(path: string): Promise<number> {
  return Number((await ffprobe(path)).format.duration);
}

describe('{startTime} and {endTime}', () => {
  test('WebRTC: on the publisher’s wall clock (Unix ms); endTime − startTime is the file’s duration', async (t) => {
    const chromium = await openChromium(t);
    if (chromium === undefined) return;
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'transcoder', 'ingest-webrtc'],
      sets: ['ingest-webrtc.ice.addresses=127.0.0.1', TEMPLATE],
    });
    let publishedAt: number | undefined;
    try {
      const page = await chromium.context.newPage();
      await page.goto(`http://127.0.0.1:${s.spool.httpPort}/health`);
      await page.addScriptTag({ path: WHIP_CLIENT });
      publishedAt = Date.now();
      const published = await page.evaluate((options) => window.whip.publish(options), {
        url: '/whip/clock?record=true',
        codec: 'H264',
        source: 'fake',
      });
      assert.equal(published.status, 201, `WHIP answer: ${published.body}`);
      await page.waitForFunction(() => window.whip.connectionState() === 'connected', undefined, {
        timeout: 15_000,
      });
      await new Promise((done) => setTimeout(done, 4000));
      assert.equal(await page.evaluate(() => window.whip.stop()), 200);
      await waitFor('the recording', () => s.finished.find((f) => f.streamName === 'clock'), 30_000);
    } finally {
      await chromium.close();
      await s.stop();
    }
    const file = s.finished.find((f) => f.streamName === 'clock')!;
    const named = /^clock-(\d+)-(\d+)\.mp4$/.exec(file.fileName);
    assert.ok(named, file.fileName);
    const [start, end] = [Number(named[1]), Number(named[2])];
    t.diagnostic(`${file.fileName}: {startTime} is ${start - publishedAt} ms from Date.now() at publish`);
    assert.ok(
      Math.abs(start - publishedAt) < 5000,
      `{startTime} ${start} is ${start - publishedAt} ms from Date.now() at publish (${publishedAt})`,
    );
    assert.equal(await decodeErrors(file.filePath), '');
    const durationS = await durationOf(file.filePath);
    assert.ok(durationS > 2, `${durationS} s recorded`);
    assert.ok(
      Math.abs((end - start) / 1000 - durationS) <= 0.5,
      `{endTime} − {startTime} = ${end - start} ms, file ${durationS} s`,
    );
  });

  test('a stream without its own clock (bus, as RTMP): {startTime} starts at 0', async () => {
    const media = await readMediaFile(await makeClip({ seconds: 4, bFrames: 2 }));
    const s = await startSpool(tmp, { plugins: ['recorder', 'writer-mp4'], sets: [TEMPLATE] });
    try {
      const publisher = await publishFile(s.spool.bus, media, { name: 'bus', seconds: 3, speed: 4 });
      await publisher.done;
      await publisher.stop();
    } finally {
      await s.stop();
    }
    assert.equal(s.finished.length, 1);
    const file = s.finished[0]!;
    const named = /^bus-(\d+)-(\d+)\.mp4$/.exec(file.fileName);
    assert.ok(named, file.fileName);
    assert.equal(Number(named[1]), 0);
    assert.ok(Math.abs(Number(named[2]) / 1000 - (await durationOf(file.filePath))) <= 0.1, file.fileName);
  });
});
