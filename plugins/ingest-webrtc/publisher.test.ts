import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { Frame, KeyframeRequestHandler, Stream, Track, VideoTrack } from '../../core/index.js';
import { OpusConverter, Vp8Converter } from './frames.js';
import { WebRtcPublisher, type PublisherOptions } from './publisher.js';

/** The part of a bus Stream the publisher uses, recording what it is given. */
class FakeStream {
  readonly name = 'cam';
  readonly tracks: Track[] = [];
  ended = false;
  readonly events: Array<Track | Frame> = [];
  readonly keyframeHandlers: KeyframeRequestHandler[] = [];
  setTrack(track: Track): void {
    this.events.push(track);
  }
  writeFrame(frame: Frame): void {
    this.events.push(frame);
  }
  onKeyframeRequest(handler: KeyframeRequestHandler): () => void {
    this.keyframeHandlers.push(handler);
    return () => undefined;
  }
  get frames(): Frame[] {
    return this.events.filter((e): e is Frame => 'trackId' in e);
  }
}

const VP8_KEY = Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa);
const VP8_INTER = Uint8Array.of(0x31, 0x02, 0x00, 0xbb);
const OPUS_MONO = Uint8Array.of(0x78, 0x01);

function setup(options: Partial<PublisherOptions> = {}) {
  const stream = new FakeStream();
  const converters = { video: new Vp8Converter(), audio: new OpusConverter() };
  stream.tracks.push(converters.audio.track); // published with the stream, as the session does
  const plis: number[] = [];
  const publisher = new WebRtcPublisher(stream as unknown as Stream, converters, {
    log: pino({ level: 'silent' }),
    options: { keyframeIntervalMs: 0, syncWaitMs: 10_000, maxPendingFrames: 100, ...options },
    requestKeyframe: () => plis.push(Date.now()),
    reportError: (where, error) => assert.fail(`${where}: ${String(error)}`),
  });
  return { stream, plis, publisher };
}

describe('WebRtcPublisher', () => {
  test('frames wait for both sender reports, then go out in arrival order on one clock', () => {
    const { stream, publisher } = setup();
    // Sender clock: video RTP 1_000_000 and audio RTP 500 are both at NTP 100.0 s.
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 1_000_000 + 9000 }, 0); // 100.1 s
    publisher.onFrame('audio', { data: OPUS_MONO, rtpTimestamp: 500 + 960 }, 0); // 100.02 s
    publisher.onSenderReport('video', { ntpSeconds: 100, rtpTimestamp: 1_000_000 }, 0);
    assert.equal(stream.events.length, 0, 'held until every track has a report');
    publisher.onSenderReport('audio', { ntpSeconds: 100, rtpTimestamp: 500 }, 0);
    const [videoTrack, videoFrame, audioFrame] = stream.events as [VideoTrack, Frame, Frame];
    assert.deepEqual([videoTrack.kind, videoTrack.width, videoTrack.height], ['video', 640, 480]);
    assert.deepEqual([videoFrame.trackId, videoFrame.dts, videoFrame.keyframe], [1, 0.08 * 90000, true]);
    assert.deepEqual([audioFrame.trackId, audioFrame.dts], [2, 0]);
    publisher.onFrame('audio', { data: OPUS_MONO, rtpTimestamp: 500 + 1920 }, 0);
    assert.equal(stream.frames.at(-1)!.dts, 960, 'written at once now, sample-exact');
    publisher.close();
  });

  test('without sender reports the frames go out after syncWaitMs, placed by arrival time', async () => {
    const { stream, publisher } = setup({ syncWaitMs: 50 });
    const now = Date.now();
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 7 }, now);
    publisher.onFrame('audio', { data: OPUS_MONO, rtpTimestamp: 3 }, now + 20);
    await sleep(100);
    assert.deepEqual(
      stream.frames.map((f) => [f.trackId, f.dts]),
      [
        [1, 0],
        [2, 0.02 * 48000],
      ],
    );
    publisher.close();
  });

  test('video starts at a keyframe and restarts at one after a loss; a PLI asks for it', () => {
    const { stream, plis, publisher } = setup({ syncWaitMs: 1 });
    publisher.onSenderReport('video', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    publisher.onSenderReport('audio', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 3000 });
    assert.equal(stream.events.length, 0);
    assert.equal(plis.length, 1, 'a frame before the first keyframe asks for one');
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 6000 });
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 9000 });
    publisher.onLoss('video');
    assert.equal(plis.length, 2);
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 15000 });
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 18000 });
    assert.deepEqual(
      stream.frames.map((f) => [f.dts, f.keyframe]),
      [
        [0, true],
        [3000, false],
        [12000, true],
      ],
    );
    publisher.close();
  });

  test('a subscriber’s keyframe request and a long GOP both send a PLI', async () => {
    const { stream, plis, publisher } = setup({ keyframeIntervalMs: 50 });
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 0 });
    stream.keyframeHandlers[0]!({ requester: 'recorder' });
    assert.equal(plis.length, 1);
    await sleep(180);
    assert.ok(plis.length >= 3, `${plis.length} PLIs: one per 50 ms without a keyframe`);
    publisher.close();
    const after = plis.length;
    await sleep(120);
    assert.equal(plis.length, after, 'no PLI once closed');
  });

  test('held frames are bounded: the oldest go, and video after a dropped frame up to its next keyframe', () => {
    const { stream, publisher } = setup({ maxPendingFrames: 3 });
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 0 }, 0);
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 3000 }, 0);
    publisher.onFrame('audio', { data: OPUS_MONO, rtpTimestamp: 0 }, 0);
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 6000 }, 0); // drops key 0 and inter 3000
    publisher.onSenderReport('video', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    publisher.onSenderReport('audio', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    // The dropped first keyframe brought the video track: the stream still gets it, before the frame.
    assert.deepEqual(
      stream.events.map((e) => ('trackId' in e ? [e.trackId, e.dts, e.keyframe] : e.kind)),
      [[2, 0, true], 'video', [1, 6000, true]],
    );
    publisher.close();
  });

  test('when overflow drops all held video, the next inter frame waits for a keyframe too', () => {
    const { stream, plis, publisher } = setup({ maxPendingFrames: 2 });
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 0 }, 0);
    publisher.onFrame('audio', { data: OPUS_MONO, rtpTimestamp: 0 }, 0);
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 3000 }, 0); // drops key 0: no decodable video
    publisher.onFrame('video', { data: VP8_KEY, rtpTimestamp: 6000 }, 0);
    publisher.onFrame('video', { data: VP8_INTER, rtpTimestamp: 9000 }, 0);
    publisher.onSenderReport('video', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    publisher.onSenderReport('audio', { ntpSeconds: 1, rtpTimestamp: 0 }, 0);
    assert.deepEqual(
      stream.frames.filter((f) => f.trackId === 1).map((f) => [f.dts, f.keyframe]),
      [
        [6000, true],
        [9000, false],
      ],
    );
    assert.ok(plis.length >= 1);
    publisher.close();
  });
});
