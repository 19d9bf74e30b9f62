import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openChromium } from './helpers/chromium.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-web-examples-');
const recordDir = join(tmp.path, 'records');
const PLUGINS = [
  'recorder',
  'writer-mp4',
  'writer-webm',
  'transcoder',
  'records-http',
  'ingest-webrtc',
  'web-examples',
];
let spool: InProcessSpool;
let base: string;

before(async () => {
  spool = await startSpool(tmp, {
    plugins: PLUGINS,
    sets: [
      'ingest-webrtc.ice.addresses=127.0.0.1',
      `recorder.recordDir=${recordDir}`,
      `records-http.recordDir=${recordDir}`,
    ],
  });
  base = `http://127.0.0.1:${spool.spool.httpPort}`;
});
after(async () => {
  await spool?.stop();
  tmp.cleanup();
});

/** GET with the path sent as is (fetch would normalize `..` away). */
function rawGet(path: string): Promise<{ status: number; type: string; location: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: spool.spool.httpPort, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          location: res.headers.location ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web-examples static files', () => {
  test('pages, scripts and styles with their content types; directories redirect to their slash', async () => {
    const index = await rawGet('/client/examples/');
    assert.deepEqual([index.status, index.type], [200, 'text/html; charset=utf-8']);
    assert.match(index.body, /href="stream-recording\/"/);
    assert.equal((await rawGet('/client/examples/index.html')).body, index.body);
    const page = await rawGet('/client/examples/stream-recording/');
    assert.deepEqual([page.status, page.type], [200, 'text/html; charset=utf-8']);
    assert.match(page.body, /<script src="app.js">/);
    const script = await rawGet('/client/examples/stream-recording/app.js');
    assert.deepEqual([script.status, script.type], [200, 'text/javascript; charset=utf-8']);
    const style = await rawGet('/client/examples/stream-recording/style.css');
    assert.deepEqual([style.status, style.type], [200, 'text/css; charset=utf-8']);
    for (const [path, to] of [
      ['/client/examples', '/client/examples/'],
      ['/client/examples/stream-recording', '/client/examples/stream-recording/'],
    ]) {
      const redirect = await rawGet(path!);
      assert.deepEqual([redirect.status, redirect.location], [302, to], path);
    }
  });

  test('traversal, hidden files and unknown paths are 404', async () => {
    const attempts = [
      '/client/examples/../../package.json',
      '/client/examples/..%2f..%2fpackage.json',
      '/client/examples/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/client/examples/stream-recording/..%252f..%252fplugins.json',
      '/client/examples/stream-recording/%5c..%5cindex.html',
      '/client/examples/stream-recording//app.js',
      '/client/examples/stream-recording/app.js%00.html',
      '/client/examples/.hidden',
      '/client/examples/%',
      '/client/examples/nope.html',
      '/client/examples/stream-recording/nope/',
    ];
    for (const path of attempts) {
      const response = await rawGet(path);
      assert.equal(response.status, 404, `${path}: ${response.status} ${response.body.slice(0, 80)}`);
      assert.doesNotMatch(response.body, /"name": "spool-server"/);
    }
  });
});

async function openExample(page: Page, name: string): Promise<void> {
  await page.goto(`${base}/client/examples/stream-recording/`);
  assert.equal(await page.inputValue('#server-url'), base, 'the server URL defaults to the page origin');
  await page.fill('#stream-name', name);
}

async function waitForStatus(page: Page, wanted: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((text) => document.getElementById('status')?.textContent === text, wanted, {
    timeout,
  });
}
declare const document: { getElementById(id: string): { textContent: string | null } | null };

/** What the first <video> of a page is doing. */
const videoState = (page: Page) =>
  page.evaluate(() => {
    const video = (document as unknown as { querySelector(s: string): VideoElement | null }).querySelector(
      'video',
    );
    return video === null
      ? undefined
      : {
          currentTime: video.currentTime,
          width: video.videoWidth,
          height: video.videoHeight,
          error: video.error?.message ?? null,
        };
  });
interface VideoElement {
  readonly currentTime: number;
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly error: { message: string } | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Stream Recording page in Chromium', () => {
  test('Start → PUBLISHING; Stop → UNPUBLISHED with links; the link plays the recording', async (t) => {
    const chromium = await openChromium(t);
    if (chromium === undefined) return;
    try {
      const page = await chromium.context.newPage();
      await openExample(page, 'example-cam');
      await page.click('#start-button');
      await waitForStatus(page, 'PUBLISHING');
      assert.equal(await page.textContent('#start-button'), 'Stop');
      assert.equal(spool.spool.bus.find('example-cam')?.record, true, 'published with record on');

      // A second publisher of the same name: FAILED, with the server's reason (409).
      const second = await chromium.context.newPage();
      await openExample(second, 'example-cam');
      await second.click('#start-button');
      await waitForStatus(second, 'FAILED');
      assert.match((await second.textContent('#status-reason')) ?? '', /already published.*HTTP 409/);
      await second.close();

      await sleep(4_000);
      await page.click('#start-button');
      await waitForStatus(page, 'UNPUBLISHED', 30_000);
      const play = page.locator('#record-links a.play-link');
      const href = (await play.getAttribute('href'))!;
      const fileName = decodeURIComponent(href.split('/').at(-1)!);
      assert.equal(href, `${base}/client/records/${encodeURIComponent(fileName)}`);
      assert.equal(await page.getAttribute('#record-links a.download-link', 'download'), fileName);
      assert.equal(await page.getAttribute('#record-links a.download-link', 'href'), href);
      assert.equal(await page.textContent('#start-button'), 'Start');

      const filePath = join(recordDir, fileName);
      assert.equal(await decodeErrors(filePath), '', `${fileName} decodes cleanly`);
      const duration = Number((await ffprobe(filePath)).format.duration);
      assert.ok(duration >= 3 && duration <= 8, `duration ${duration} s`);

      // Following the link: Chromium's media document plays it in a <video>.
      await page.goto(href);
      const first = await waitForVideo(page, (v) => v.currentTime > 0.2 && v.width > 0);
      await sleep(1_000);
      const later = (await videoState(page))!;
      assert.equal(later.error, null);
      assert.ok(
        later.currentTime > first.currentTime,
        `currentTime ${first.currentTime} → ${later.currentTime}`,
      );
      assert.ok(later.width > 0 && later.height > 0, `video ${later.width}x${later.height}`);
    } finally {
      await chromium.close();
    }
  });
});

async function waitForVideo(
  page: Page,
  ready: (state: { currentTime: number; width: number }) => boolean,
): Promise<{ currentTime: number; width: number }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = await videoState(page);
    if (state?.error) throw new Error(`the video failed: ${state.error}`);
    if (state !== undefined && ready(state)) return state;
    if (Date.now() > deadline) throw new Error(`the video did not play: ${JSON.stringify(state)}`);
    await sleep(100);
  }
}
