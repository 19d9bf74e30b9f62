import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { openChromium, type Chromium } from './helpers/chromium.js';
import { decodeErrors, ffmpeg, ffprobe } from './helpers/media-tools.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';
import { avOffsetsMs, markerOnsets } from './fixtures/whip-page/av-markers.js';

const tmp = new TempDir('spool-webrtc-');
after(() => tmp.cleanup());

const WHIP_CLIENT = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/whip-page/whip-client.js',
);
const PLUGINS = ['recorder', 'writer-mp4', 'writer-webm', 'transcoder', 'ingest-webrtc'];

function spoolForWebRtc(sets: string[] = []): Promise<InProcessSpool> {
  return startSpool(tmp, {
    plugins: PLUGINS,
    sets: ['ingest-webrtc.ice.addresses=127.0.0.1', 'recorder.fileTemplate={streamName}', ...sets],
  });
}

/** A page on Spool's own origin (getUserMedia needs a secure context; http://127.0.0.1 is one). */
async function publisherPage(chromium: Chromium, spool: InProcessSpool): Promise<Page> {
  const page = await chromium.context.newPage();
  await page.goto(`http://127.0.0.1:${spool.spool.httpPort}/health`);
  await page.addScriptTag({ path: WHIP_CLIENT });
  return page;
}

interface Published {
  status: number;
  location?: string;
  body?: string;
}

declare const window: {
  whip: {
    publish(options: { url: string; codec: string; source: string; token?: string }): Promise<Published>;
    connectionState(): string;
    videoBytesSent(): Promise<number>;
    stop(): Promise<number>;
  };
};

async function publish(page: Page, path: string, codec: 'H264' | 'VP8', source = 'fake'): Promise<Published> {
  const published = await page.evaluate((options) => window.whip.publish(options), {
    url: path,
    codec,
    source,
  });
  assert.equal(published.status, 201, `WHIP answer: ${published.body}`);
  await page.waitForFunction(() => window.whip.connectionState() === 'connected', undefined, {
    timeout: 15_000,
  });
  return published;
}

function chromiumWithCameraFile(t: TestContext, y4m: string): Promise<Chromium | undefined> {
  return openChromium(t, [`--use-file-for-fake-video-capture=${y4m}`]);
}

/** A camera-like 720p picture: moving test pattern with sensor noise, so the encoder has work. */
async function realisticY4m(): Promise<string> {
  const path = join(tmp.path, 'camera.y4m');
  await ffmpeg([
    '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25,noise=alls=30:allf=t',
    '-t', '2', '-pix_fmt', 'yuv420p', path,
  ]); // prettier-ignore
  return path;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` with a fresh Spool and a publisher page in Chromium; skips when Chromium cannot run. */
async function withPublisherPage(
  t: TestContext,
  body: (page: Page, spool: InProcessSpool) => Promise<void>,
  open: (t: TestContext) => Promise<Chromium | undefined> = openChromium,
): Promise<void> {
  const chromium = await open(t);
  if (chromium === undefined) return;
  const spool = await spoolForWebRtc();
  try {
    await body(await publisherPage(chromium, spool), spool);
  } finally {
    await chromium.close();
    await spool.stop();
  }
}

/** The finished recording of `name`, checked to decode without a single ffmpeg error. */
async function cleanRecording(spool: InProcessSpool, name: string, timeoutMs = 30_000) {
  const file = await waitFor(
    `the recording of "${name}"`,
    () => spool.finished.find((f) => f.streamName === name),
    timeoutMs,
  );
  assert.equal(await decodeErrors(file.filePath), '', `ffmpeg -v error printed nothing for ${file.fileName}`);
  const probe = await ffprobe(file.filePath);
  return { file, probe, durationS: Number(probe.format.duration) };
}

const codecsOf = (probe: { streams: Array<{ codec_name: string }> }) =>
  probe.streams.map((s) => s.codec_name).sort();

describe('WHIP publish from Chromium', () => {
  test('H.264 + Opus for 10 s with ?record=true: an MP4 with H.264 + AAC, 10 s, decoding cleanly', (t) =>
    withPublisherPage(t, async (page, spool) => {
      await publish(page, '/whip/cam264?record=true&login=alice', 'H264');
      await sleep(10_000);
      assert.equal(await page.evaluate(() => window.whip.stop()), 200);
      const { file, probe, durationS } = await cleanRecording(spool, 'cam264');
      assert.equal(file.login, 'alice');
      assert.match(file.fileName, /\.mp4$/);
      assert.deepEqual(codecsOf(probe), ['aac', 'h264']);
      assert.ok(Math.abs(durationS - 10) <= 0.5, `duration ${durationS} s`);
    }));

  test('audio and video of an H.264 publish stay in sync within 80 ms (flash + beep markers)', (t) =>
    withPublisherPage(t, async (page, spool) => {
      await publish(page, '/whip/sync?record=true', 'H264', 'markers');
      await sleep(8_000);
      assert.equal(await page.evaluate(() => window.whip.stop()), 200);
      const { file } = await cleanRecording(spool, 'sync');
      const onsets = await markerOnsets(file.filePath);
      const offsets = avOffsetsMs(onsets);
      console.log(`A/V offsets (ms, + = sound late): ${offsets.join(' ')}`);
      assert.ok(offsets.length >= 5, `markers found: ${JSON.stringify(onsets)}`);
      for (const offset of offsets) assert.ok(Math.abs(offset) <= 80, `A/V offsets ${offsets.join(', ')} ms`);
    }));

  test('VP8 + Opus with ?record=true: a WebM with VP8 + Opus that decodes cleanly', (t) =>
    withPublisherPage(t, async (page, spool) => {
      await publish(page, '/whip/camvp8?record=true', 'VP8');
      await sleep(6_000);
      assert.equal(await page.evaluate(() => window.whip.stop()), 200);
      const { file, probe, durationS } = await cleanRecording(spool, 'camvp8');
      assert.match(file.fileName, /\.webm$/);
      assert.deepEqual(codecsOf(probe), ['opus', 'vp8']);
      assert.ok(Math.abs(durationS - 6) <= 0.5, `duration ${durationS} s`);
    }));

  test('a tab closed mid-publish ends the stream and leaves a finalized, playable recording', (t) =>
    withPublisherPage(t, async (page, spool) => {
      await publish(page, '/whip/closed-tab?record=true', 'H264');
      await sleep(4_000);
      const closedAt = Date.now();
      await page.close();
      const { durationS } = await cleanRecording(spool, 'closed-tab', 20_000);
      const ended = spool.log.find((l) => String(l.msg).startsWith('stream "closed-tab" unpublished'));
      console.log(`tab closed → recording finished in ${Date.now() - closedAt} ms (${String(ended?.msg)})`);
      assert.equal(spool.spool.bus.find('closed-tab'), undefined, 'the stream has ended');
      assert.ok(durationS >= 3.5 && durationS <= 10, `duration ${durationS} s`);
    }));

  test('with a realistic camera the browser sends ≥ 1 Mbps within 3 s of connecting', async (t) => {
    const y4m = await realisticY4m();
    await withPublisherPage(
      t,
      async (page, spool) => {
        await publish(page, '/whip/bitrate', 'H264');
        const connectedAt = Date.now();
        const samples: Array<{ atMs: number; bytes: number; serverBytes: number }> = [];
        while (Date.now() - connectedAt < 5_000) {
          const bytes = await page.evaluate(() => window.whip.videoBytesSent());
          const serverBytes = spool.spool.bus.find('bitrate')?.bytesWritten ?? 0;
          samples.push({ atMs: Date.now() - connectedAt, bytes, serverBytes });
          await sleep(250);
        }
        const kbpsOverLastSecond = samples.map((sample) => {
          const from = samples.findLast((s) => s.atMs <= sample.atMs - 1000);
          return from === undefined ? 0 : ((sample.bytes - from.bytes) * 8) / (sample.atMs - from.atMs);
        });
        const reached = samples.find((_, i) => kbpsOverLastSecond[i]! >= 1000);
        const report = samples.map((s, i) => `${s.atMs}ms:${Math.round(kbpsOverLastSecond[i]!)}`).join(' ');
        const last = samples.at(-1)!;
        const serverKbps = Math.round((last.serverBytes * 8) / last.atMs);
        console.log(`browser video kbps over the last second: ${report}; server got ${serverKbps} kbps`);
        assert.ok(reached !== undefined && reached.atMs <= 3_000, `1 Mbps at ${reached?.atMs} ms: ${report}`);
      },
      (t) => chromiumWithCameraFile(t, y4m),
    );
  });
});
