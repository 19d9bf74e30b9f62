import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { RtmpIngestToken } from '../plugins/ingest-rtmp/api.js';
import { openChromium } from './helpers/chromium.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-player-page-');
let spool: InProcessSpool;
let base: string;

before(async () => {
  spool = await startSpool(tmp, {
    plugins: ['recorder', 'ingest-rtmp', 'ingest-webrtc', 'transcoder', 'play-webrtc', 'web-examples'],
    sets: ['ingest-rtmp.port=0', 'ingest-webrtc.ice.addresses=127.0.0.1'],
  });
  base = `http://127.0.0.1:${spool.spool.httpPort}`;
});
after(async () => {
  await spool?.stop();
  tmp.cleanup();
});

declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): unknown;
  createElement(tag: string): unknown;
};

async function waitForStatus(page: Page, wanted: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((text) => document.getElementById('status')?.textContent === text, wanted, {
    timeout,
  });
}

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(image: unknown, x: number, y: number, w: number, h: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

/** Mean brightness (0-255) of the video element's current frame, drawn to a canvas. */
const meanBrightness = (page: Page) =>
  page.evaluate(() => {
    const video = document.querySelector('#video') as { videoWidth: number; videoHeight: number };
    if (video.videoWidth === 0) return 0;
    const canvas = document.createElement('canvas') as Canvas;
    canvas.width = 160;
    canvas.height = 90;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0, 160, 90);
    const { data } = context.getImageData(0, 0, 160, 90);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
    return sum / (data.length / 4);
  });

test('the Player page plays a live RTMP stream over WHEP, shows its size and bitrate, stops; a missing stream is FAILED with the reason', async (t) => {
  const chromium = await openChromium(t);
  if (chromium === undefined) return;
  const rtmpPort = spool.spool.service(RtmpIngestToken).port;
  const publisher = new RtmpPublisher({ url: `rtmp://127.0.0.1:${rtmpPort}/live/live-cam`, seconds: 40 });
  try {
    await waitFor('the RTMP publish', () => spool.spool.bus.find('live-cam'));
    const page = await chromium.context.newPage();
    await page.goto(`${base}/client/examples/player/?name=live-cam`);
    assert.equal(await page.inputValue('#server-url'), base, 'the server URL defaults to the page origin');
    assert.equal(await page.inputValue('#stream-name'), 'live-cam', '?name= fills the stream name');
    await page.click('#play-button');
    await waitForStatus(page, 'PLAYING');
    assert.equal(await page.textContent('#play-button'), 'Stop');

    // The test pattern is colourful: a black (or empty) picture would be below 10.
    await page.waitForFunction(
      () => (document.querySelector('#video') as { videoWidth: number }).videoWidth > 0,
      undefined,
      { timeout: 10_000 },
    );
    const brightness = await meanBrightness(page);
    assert.ok(brightness > 40, `mean brightness of the picture ${brightness.toFixed(1)}`);
    await page.waitForFunction(
      () => /^640x360, \d+ fps, \d+ kbps$/.test(document.getElementById('stats')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    const screenshot = await page.locator('#video').screenshot();
    assert.ok(screenshot.length > 5_000, `a screenshot of the video element (${screenshot.length} bytes)`);
    assert.equal(spool.spool.bus.find('live-cam')!.viewers.webrtc, 1, 'counted as a WebRTC viewer');

    await page.click('#play-button');
    await waitForStatus(page, 'STOPPED');
    await waitFor('the viewer counted out', () =>
      spool.spool.bus.find('live-cam')!.viewers.webrtc === undefined ? true : undefined,
    );

    // A stream nobody publishes: FAILED with the server's reason.
    await page.fill('#stream-name', 'nobody-here');
    await page.click('#play-button');
    await waitForStatus(page, 'FAILED');
    assert.match((await page.textContent('#status-reason')) ?? '', /nobody-here.*HTTP 404/);
    assert.equal(await page.textContent('#play-button'), 'Play');
  } finally {
    publisher.kill();
    await chromium.close();
  }
});
