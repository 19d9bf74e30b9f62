/**
 * WHEP playback (play-webrtc) with real peers: headless Chromium as the viewer, publishers over RTMP
 * (ffmpeg), WHIP (a second Chromium page) and RTSP (GStreamer's camera, pulled on demand by name).
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { RtmpIngestToken } from '../plugins/ingest-rtmp/api.js';
import { WebRtcPlaybackToken } from '../plugins/play-webrtc/api.js';
import { openChromium, type Chromium } from './helpers/chromium.js';
import { chromiumOffer } from './helpers/ingest-webrtc/chromium-offers.js';
import { ffmpegPlay } from './helpers/rtmp-player.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { RtspCamera, requireGStreamer } from './helpers/rtsp-camera.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-whep-');
after(() => tmp.cleanup());

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const WHEP_CLIENT = join(FIXTURES, 'whep-page/whep-client.js');
const WHIP_CLIENT = join(FIXTURES, 'whip-page/whip-client.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Played {
  status: number;
  location?: string;
  mediaSessionId?: string;
  body?: string;
  answer?: string;
}

interface ViewerStats {
  framesDecoded: number;
  frameWidth: number;
  freezeCount: number;
  audioSamples: number;
  firstFrameMs?: number;
  longestStallMs: number;
  lastChangeAgoMs?: number;
}

interface PlayOptions {
  url: string;
  video?: boolean;
  audio?: boolean;
  videoCodecs?: string[];
  token?: string;
  offer?: string;
}

declare const window: {
  whep: {
    play(options: PlayOptions): Promise<Played>;
    connectionState(): string;
    stats(): Promise<ViewerStats>;
    stop(): Promise<number>;
    close(): void;
  };
  whip: {
    publish(options: {
      url: string;
      codec: string;
      source: string;
    }): Promise<{ status: number; body?: string }>;
    connectionState(): string;
  };
};

function spoolForWhep(plugins: string[], sets: string[] = []): Promise<InProcessSpool> {
  return startSpool(tmp, {
    plugins: ['recorder', 'transcoder', ...plugins, 'play-webrtc'],
    // Without ingest-webrtc, play-webrtc's own ice section applies.
    sets: [
      plugins.includes('ingest-webrtc')
        ? 'ingest-webrtc.ice.addresses=127.0.0.1'
        : 'play-webrtc.ice.addresses=127.0.0.1',
      ...sets,
    ],
  });
}

async function page(chromium: Chromium, spool: InProcessSpool, script: string): Promise<Page> {
  const opened = await chromium.context.newPage();
  await opened.goto(`http://127.0.0.1:${spool.spool.httpPort}/health`);
  await opened.addScriptTag({ path: script });
  return opened;
}

const viewerPage = (chromium: Chromium, spool: InProcessSpool) => page(chromium, spool, WHEP_CLIENT);

/** Plays `name` in `viewer` and waits for ICE + DTLS. */
async function play(viewer: Page, name: string, options: Omit<PlayOptions, 'url'> = {}): Promise<Played> {
  const played = await viewer.evaluate((o) => window.whep.play(o), {
    url: `/whep/${encodeURIComponent(name)}`,
    ...options,
  });
  assert.equal(played.status, 201, `WHEP answer: ${played.body}`);
  await viewer.waitForFunction(() => window.whep.connectionState() === 'connected', undefined, {
    timeout: 15_000,
  });
  return played;
}

const stats = (viewer: Page) => viewer.evaluate(() => window.whep.stats());

/** Waits until the page has decoded more than `frames` frames. */
async function decodedFrames(viewer: Page, frames: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await stats(viewer)).framesDecoded <= frames) {
    if (Date.now() > deadline)
      throw new Error(`no more than ${frames} frames decoded within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Frames decoded over `ms`: the rate, and the longest stall the page saw. */
async function watch(viewer: Page, ms: number) {
  const before = await stats(viewer);
  await sleep(ms);
  const after = await stats(viewer);
  return { fps: ((after.framesDecoded - before.framesDecoded) * 1000) / ms, before, after };
}

async function withChromium(t: TestContext, body: (chromium: Chromium) => Promise<void>): Promise<void> {
  const chromium = await openChromium(t);
  if (chromium === undefined) return;
  try {
    await body(chromium);
  } finally {
    await chromium.close();
  }
}

const playback = (spool: InProcessSpool) => spool.spool.service(WebRtcPlaybackToken);

describe('WHEP playback in Chromium', () => {
  test('RTMP H.264 + AAC: 30 fps for 10 s without a stall over 500 ms; a late viewer within a GOP; both end with the publisher', (t) =>
    withChromium(t, async (chromium) => {
      const spool = await spoolForWhep(['ingest-rtmp', 'ingest-webrtc', 'play-rtmp'], ['ingest-rtmp.port=0']);
      const rtmpPort = spool.spool.service(RtmpIngestToken).port;
      const publisher = new RtmpPublisher({ url: `rtmp://127.0.0.1:${rtmpPort}/live/show`, seconds: 30 });
      try {
        const stream = await waitFor('the RTMP stream', () => spool.spool.bus.find('show'), 15_000);
        // An RTMP player at the same time as the WHEP viewers: both protocols play the one stream.
        const rtmpPlayer = ffmpegPlay(`rtmp://127.0.0.1:${rtmpPort}/live/show`, ['-t', '8']);
        const first = await viewerPage(chromium, spool);
        const played = await play(first, 'show');
        assert.equal(played.mediaSessionId, stream.mediaSessionId);
        await decodedFrames(first, 0, 5000);
        const { fps, after } = await watch(first, 10_000);
        console.log(
          `  RTMP → WHEP: ${fps.toFixed(1)} fps, longest stall ${after.longestStallMs.toFixed(0)} ms, first picture after ${after.firstFrameMs?.toFixed(0)} ms, ${after.frameWidth} px wide`,
        );
        assert.ok(
          fps >= 27 && fps <= 33,
          `${fps} fps (the stream has 30): ${JSON.stringify(after)} ${JSON.stringify(spool.log.lines.filter((l) => Number(l.level) >= 40))}`,
        );
        assert.ok(after.longestStallMs < 500, `a stall of ${after.longestStallMs} ms`);
        assert.equal(after.frameWidth, 640);
        await t.test(
          "its AAC audio reaches the viewer as Opus (the transcoder's converted:opus: stream)",
          async () => {
            const converted = await spool.spool.bus.demand('converted:opus:show');
            assert.equal(converted.tracks.find((track) => track.kind === 'audio')?.codec, 'opus');
            assert.ok(after.audioSamples > 48000 * 5, `audio samples ${after.audioSamples}`);
          },
        );

        // A second viewer joins mid-stream: a picture within one GOP (1 s) of connecting, plus decode.
        const late = await viewerPage(chromium, spool);
        await play(late, 'show');
        await decodedFrames(late, 0, 3000);
        const joined = await stats(late);
        console.log(`  late viewer: first picture ${joined.firstFrameMs?.toFixed(0)} ms after its POST`);
        // The bound: within one GOP or 1 s, whichever is shorter (GOP 1 s here), from the POST.
        assert.ok(joined.firstFrameMs! < 1000, `first picture after ${joined.firstFrameMs} ms (GOP 1 s)`);
        assert.equal(playback(spool).viewersOf(stream.mediaSessionId), 2);
        const metrics = await spool.spool.metrics.registry.getSingleMetricAsString('spool_play_viewers');
        assert.match(metrics, /spool_play_viewers\{protocol="webrtc",stream="show"\} 2/);
        const rtmpPlayed = await rtmpPlayer;
        assert.deepEqual(
          [rtmpPlayed.code, rtmpPlayed.stderr],
          [0, ''],
          'the RTMP player decoded 8 s cleanly',
        );

        // The publisher leaves: both sessions end, the page sees its connection close.
        publisher.kill('SIGKILL');
        await waitFor(
          'every WHEP session to end',
          () => (playback(spool).sessions === 0 ? true : undefined),
          10_000,
        );
        await first.waitForFunction(() => window.whep.connectionState() !== 'connected', undefined, {
          timeout: 10_000,
        });
        console.log(
          `  after the publisher left, the page says: ${await first.evaluate(() => window.whep.connectionState())}`,
        );
        assert.equal(playback(spool).viewersOf(stream.mediaSessionId), 0);
      } finally {
        publisher.kill();
        await spool.stop();
      }
    }));

  for (const codec of ['H264', 'VP8'] as const) {
    test(`a WHIP publish from Chromium (${codec}) plays in a second page, with audio`, (t) =>
      withChromium(t, async (chromium) => {
        const spool = await spoolForWhep(
          ['ingest-webrtc', 'ingest-rtmp', 'play-rtmp'],
          ['ingest-rtmp.port=0'],
        );
        try {
          const publisherPage = await page(chromium, spool, WHIP_CLIENT);
          const published = await publisherPage.evaluate((o) => window.whip.publish(o), {
            url: `/whip/cam-${codec}`,
            codec,
            source: 'fake',
          });
          assert.equal(published.status, 201, published.body);
          // H.264 also plays over RTMP (its Opus as AAC through the transcoder); VP8 cannot (FLV has no VP8).
          const rtmpPort = spool.spool.service(RtmpIngestToken).port;
          const rtmpPlayer =
            codec === 'H264'
              ? ffmpegPlay(`rtmp://127.0.0.1:${rtmpPort}/live/cam-${codec}`, ['-t', '4'])
              : undefined;
          const viewer = await viewerPage(chromium, spool);
          const played = await play(viewer, `cam-${codec}`);
          assert.match(played.answer!, new RegExp(`a=rtpmap:\\d+ ${codec}/90000`, 'i'));
          await decodedFrames(viewer, 0, 5000);
          const { fps, after } = await watch(viewer, 4000);
          console.log(
            `  WHIP ${codec} → WHEP: ${fps.toFixed(1)} fps, first picture ${after.firstFrameMs?.toFixed(0)} ms, stall ${after.longestStallMs.toFixed(0)} ms, audio samples ${after.audioSamples}`,
          );
          assert.ok(fps >= 15, `${fps} fps (Chromium's fake camera sends ~20-30)`);
          assert.ok(after.audioSamples > 48000, `audio samples ${after.audioSamples}`);
          if (rtmpPlayer !== undefined) {
            const rtmpPlayed = await rtmpPlayer;
            assert.deepEqual(
              [rtmpPlayed.code, rtmpPlayed.stderr],
              [0, ''],
              'ffmpeg played it over RTMP cleanly',
            );
          }
          assert.equal(await viewer.evaluate(() => window.whep.stop()), 200);
          await waitFor('the session to end', () => (playback(spool).sessions === 0 ? true : undefined));
        } finally {
          await spool.stop();
        }
      }));
  }

  test('an RTSP camera played by its rtsp:// name, pulled on demand and released after the last viewer', async (t) => {
    if (!requireGStreamer(t)) return;
    await withChromium(t, async (chromium) => {
      const camera = await RtspCamera.start({ keyint: 15, audio: 'pcma' });
      const spool = await spoolForWhep(['ingest-rtsp'], ['ingest-rtsp.onDemandIdleMs=1500']);
      const unpublished: string[] = [];
      spool.spool.hooks.tap('test', 'unpublished', ({ stream }) => void unpublished.push(stream.name));
      try {
        const viewer = await viewerPage(chromium, spool);
        await play(viewer, camera.url());
        await viewer.waitForFunction(async () => (await window.whep.stats()).framesDecoded > 10, undefined, {
          timeout: 10_000,
        });
        const { fps, after } = await watch(viewer, 3000);
        console.log(
          `  RTSP → WHEP: ${fps.toFixed(1)} fps, first picture ${after.firstFrameMs?.toFixed(0)} ms, audio samples ${after.audioSamples} (G.711 passed as PCMA)`,
        );
        assert.ok(fps > 10, `${fps} fps`);
        assert.ok(after.audioSamples > 0, 'PCMA audio passed through');
        assert.equal(await viewer.evaluate(() => window.whep.stop()), 200);
        await waitFor(
          'the capture to be released',
          () => (unpublished.includes(camera.url()) ? true : undefined),
          10_000,
        );
        assert.equal(spool.spool.bus.find(camera.url()), undefined);
      } finally {
        await spool.stop();
        await camera.stop();
      }
    });
  });
});

describe('WHEP requests that cannot play', () => {
  test('garbage 400, unknown name 404, no common codec 406 naming both sides, PATCH 405, DELETE twice 404', (t) =>
    withChromium(t, async (chromium) => {
      const spool = await spoolForWhep(['ingest-rtmp', 'ingest-webrtc'], ['ingest-rtmp.port=0']);
      const base = `http://127.0.0.1:${spool.spool.httpPort}`;
      const post = (path: string, body: string) =>
        fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body });
      const publisher = new RtmpPublisher({
        url: `rtmp://127.0.0.1:${spool.spool.service(RtmpIngestToken).port}/live/bad`,
        seconds: 20,
      });
      try {
        const garbage = await post('/whep/bad', 'hello');
        assert.equal(garbage.status, 400);
        assert.match(((await garbage.json()) as { error: string }).error, /not an SDP offer/);
        const unknown = await post('/whep/nobody', chromiumOffer({ direction: 'recvonly' }));
        assert.equal(unknown.status, 404);
        assert.equal(((await unknown.json()) as { code: string }).code, 'SPOOL_ERR_STREAM_NOT_FOUND');
        await waitFor('the RTMP stream', () => spool.spool.bus.find('bad'), 15_000);
        const viewer = await viewerPage(chromium, spool);
        const vp8Only = await viewer.evaluate((o) => window.whep.play(o), {
          url: '/whep/bad',
          videoCodecs: ['VP8'],
        });
        assert.equal(vp8Only.status, 406);
        const { error } = JSON.parse(vp8Only.body!) as { error: string };
        console.log(`  406: ${error}`);
        assert.match(error, /H\.264 video and AAC audio/);
        assert.match(error, /video: VP8/);
        const played = await play(viewer, 'bad');
        const resource = played.location!;
        assert.equal((await fetch(resource, { method: 'PATCH' })).status, 405);
        assert.equal((await fetch(resource, { method: 'OPTIONS' })).status, 204);
        assert.equal((await fetch(resource, { method: 'DELETE' })).status, 200);
        assert.equal((await fetch(resource, { method: 'DELETE' })).status, 404);
      } finally {
        publisher.kill();
        await spool.stop();
      }
    }));

  const POSTS = 200;
  test('200 POSTs that never connect are each released after the connect timeout; nothing is left', async () => {
    const spool = await spoolForWhep(['ingest-webrtc'], ['play-webrtc.connectTimeoutMs=1500']);
    const stream = await spool.spool.bus.publish({
      name: 'still',
      login: '',
      source: 'test',
      record: false,
      query: {},
      tracks: [{ id: 1, kind: 'video', codec: 'vp8', timescale: 90000 }],
    });
    const udpSockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'UDPWrap').length;
    const udpBefore = udpSockets();
    try {
      const base = `http://127.0.0.1:${spool.spool.httpPort}`;
      const startedMs = Date.now();
      const replies = await Promise.all(
        Array.from({ length: POSTS }, () =>
          fetch(`${base}/whep/still`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/sdp' },
            body: chromiumOffer({ direction: 'recvonly' }),
          }),
        ),
      );
      assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([201]));
      const answeredMs = Date.now();
      console.log(
        `  ${POSTS} answers in ${answeredMs - startedMs} ms; ${playback(spool).sessions} sessions open then`,
      );
      await waitFor(
        'every session to time out',
        () => (playback(spool).sessions === 0 ? true : undefined),
        30_000,
      );
      await waitFor(
        'their ICE sockets to close',
        () => (udpSockets() <= udpBefore ? true : undefined),
        10_000,
      );
      console.log(`  all released ${Date.now() - answeredMs} ms after the last answer`);
      assert.equal(stream.subscriberCount, 0, 'never subscribed: never connected');
      assert.equal(
        spool.log.messages().filter((msg) => /not connected within 1500 ms/.test(msg)).length,
        POSTS,
      );
    } finally {
      await stream.end('test over');
      await spool.stop();
    }
  });
});
