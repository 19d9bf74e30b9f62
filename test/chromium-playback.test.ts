import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Spool } from '../core/index.js';
import { openChromium } from './helpers/chromium.js';
import { LogCapture } from './helpers/log.js';
import { makeClip } from './helpers/media-file.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-chromium-playback-');
after(() => tmp.cleanup());
const recordDir = join(tmp.path, 'records');
mkdirSync(recordDir);
const pluginsFile = tmp.json('plugins.json', { plugins: [{ name: 'records-http', enabled: true }] });

/** What the server answered, as seen by a middleware in front of the plugins' routes. */
interface Served {
  url: string;
  range: string;
  status: number;
}

async function startSpool() {
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1', `records-http.recordDir=${recordDir}`],
    env: {},
    logDestination: new LogCapture(),
  });
  const served: Served[] = [];
  // Added before start, so it runs before the routers that start() mounts.
  spool.http.app.use(async (ctx, next) => {
    await next();
    served.push({ url: ctx.url, range: ctx.get('Range'), status: ctx.status });
  });
  await spool.start();
  return { spool, served, base: `http://127.0.0.1:${spool.httpPort}/client/records/` };
}

/** The part of the DOM the page functions use (tests compile without lib.dom; this stays local). */
interface VideoElement {
  currentTime: number;
  readonly duration: number;
  readonly videoWidth: number;
  readonly error: { code: number; message: string } | null;
  play(): Promise<void>;
  addEventListener(type: 'seeked', listener: () => void, options: { once: boolean }): void;
}
declare const document: { querySelector(selector: 'video'): VideoElement | null };

interface VideoState {
  currentTime: number;
  duration: number;
  videoWidth: number;
  error: string | null;
}

const state = (page: Page): Promise<VideoState> =>
  page.evaluate(() => {
    const v = document.querySelector('video')!;
    return {
      currentTime: v.currentTime,
      duration: v.duration,
      videoWidth: v.videoWidth,
      error: v.error === null ? null : `${v.error.code} ${v.error.message}`,
    };
  });

/** Waits until the video plays past `seconds`; fails early with the media error if there is one. */
async function playsPast(page: Page, seconds: number): Promise<VideoState> {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('video')!;
      return v.error !== null || (v.currentTime > s && v.videoWidth > 0);
    },
    seconds,
    { timeout: 30_000 },
  );
  const now = await state(page);
  assert.equal(now.error, null, 'no media error');
  return now;
}

/** A muted <video> playing `src` (muted: autoplay needs no gesture). */
async function playVideo(page: Page, src: string): Promise<void> {
  await page.setContent(`<video muted playsinline preload="auto" src="${src}"></video>`);
  await page.evaluate(() => document.querySelector('video')!.play());
}

/** Seeks like a user dragging the progress bar; resolves with currentTime at 'seeked'. */
function seek(page: Page, toS: number): Promise<number> {
  return page.evaluate(
    (to) =>
      new Promise<number>((resolve, reject) => {
        const v = document.querySelector('video')!;
        const timer = setTimeout(() => reject(new Error('no seeked event within 15 s')), 15_000);
        v.addEventListener('seeked', () => (clearTimeout(timer), resolve(v.currentTime)), { once: true });
        v.currentTime = to;
      }),
    toS,
  );
}

before(async () => {
  copyFileSync(await makeClip({ seconds: 20, bFrames: 2 }), join(recordDir, 'play.mp4'));
});

describe('Chromium plays recordings and cuts served by records-http', () => {
  test('a 20 s H.264 + AAC recording plays and seeks; a cut plays with its exact timeline', async (t) => {
    const chromium = await openChromium(t);
    if (chromium === undefined) return;
    const { spool, served, base } = await startSpool();
    try {
      const page = await chromium.context.newPage();
      await playVideo(page, `${base}play.mp4`);
      const playing = await playsPast(page, 0.5);
      assert.ok(playing.videoWidth > 0);
      assert.ok(Math.abs(playing.duration - 20) < 0.2, `duration ${playing.duration}`);

      const seekedAt = await seek(page, 12);
      assert.ok(seekedAt >= 12 - 0.01, `seeked to ${seekedAt}`);
      await playsPast(page, 12.5);

      const ranged = served.filter((s) => s.url.startsWith('/client/records/play.mp4') && s.status === 206);
      assert.ok(ranged.length > 0, `the browser used Range requests: ${JSON.stringify(served)}`);
      assert.ok(ranged.every((s) => s.range.startsWith('bytes=')));

      await playVideo(page, `${base}play.mp4?start=5.5&end=15`);
      const cut = await playsPast(page, 0.5);
      // 5.5 s is mid-GOP: the cut holds media from 5 s, and Chromium honours the edit list hiding it.
      assert.ok(Math.abs(cut.duration - 9.5) <= 0.1, `cut duration ${cut.duration}, expected 9.5 s`);
      assert.ok((await seek(page, 8)) >= 8 - 0.01);
      await playsPast(page, 8.5);
      assert.ok(served.some((s) => s.url.includes('?start=5.5&end=15') && s.status === 206));
    } finally {
      await chromium.close();
      await spool.stop();
    }
  });
});
