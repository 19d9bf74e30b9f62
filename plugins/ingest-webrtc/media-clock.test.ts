import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaClock, unwrapNear } from './media-clock.js';
import { ntpSeconds } from './track-receiver.js';

const VIDEO = 1;
const AUDIO = 2;
const clockRates = new Map([
  [VIDEO, 90000],
  [AUDIO, 48000],
]);

describe('RTP timestamps', () => {
  test('unwrapNear follows a 32-bit wrap both ways', () => {
    assert.equal(unwrapNear(10, 2 ** 32 - 10), 2 ** 32 + 10);
    assert.equal(unwrapNear(2 ** 32 - 10, 2 ** 32 + 10), 2 ** 32 - 10);
    assert.equal(unwrapNear(5000, 3000), 5000);
    assert.equal(unwrapNear(1000, 3000), 1000);
  });

  test('NTP 32.32 → seconds, with the fraction as a fraction', () => {
    assert.equal(ntpSeconds((3_900_000_000n << 32n) | 0x80000000n), 3_900_000_000.5);
  });
});

describe('MediaClock', () => {
  test('sender reports line up tracks whose RTP clocks start anywhere', () => {
    const clock = new MediaClock(clockRates);
    // The sender's wall clock: video frame at NTP 1000.0 s has RTP 4_000_000_000; audio at 1000.0 s has 123.
    const videoAt = (seconds: number) => (4_000_000_000 + Math.round((seconds - 1000) * 90000)) % 2 ** 32;
    const audioAt = (seconds: number) => 123 + Math.round((seconds - 1000) * 48000);
    const firstVideo = clock.unwrap(VIDEO, videoAt(1000.1));
    const firstAudio = clock.unwrap(AUDIO, audioAt(1000.04));
    clock.onSenderReport(VIDEO, { ntpSeconds: 1000.5, rtpTimestamp: videoAt(1000.5) }, 0);
    assert.equal(clock.synchronized, false);
    clock.onSenderReport(AUDIO, { ntpSeconds: 1001, rtpTimestamp: audioAt(1001) }, 0);
    assert.equal(clock.synchronized, true);
    clock.start(
      new Map([
        [VIDEO, { rtp: firstVideo, arrivalMs: 0 }],
        [AUDIO, { rtp: firstAudio, arrivalMs: 0 }],
      ]),
    );
    // Stream time 0 is the earliest first frame (audio at 1000.04 s); the 32-bit wrap is followed.
    assert.equal(clock.toStreamTime(AUDIO, firstAudio, 0), 0);
    assert.equal(clock.toStreamTime(VIDEO, firstVideo, 0), 0.06 * 90000);
    const later = clock.unwrap(VIDEO, videoAt(1003.04));
    assert.equal(clock.toStreamTime(VIDEO, later, 0), 3 * 90000);
  });

  test('audio keeps sample-exact steps; a track drifting > 40 ms is re-anchored', () => {
    const clock = new MediaClock(clockRates);
    clock.onSenderReport(VIDEO, { ntpSeconds: 50, rtpTimestamp: 0 }, 0);
    clock.onSenderReport(AUDIO, { ntpSeconds: 50, rtpTimestamp: 0 }, 0);
    clock.start(
      new Map([
        [VIDEO, { rtp: clock.unwrap(VIDEO, 0), arrivalMs: 0 }],
        [AUDIO, { rtp: clock.unwrap(AUDIO, 0), arrivalMs: 0 }],
      ]),
    );
    assert.equal(clock.toStreamTime(AUDIO, clock.unwrap(AUDIO, 960), 0), 960);
    // 30 ms of drift: within bounds, nothing moves.
    clock.onSenderReport(VIDEO, { ntpSeconds: 60, rtpTimestamp: 10.03 * 90000 }, 0);
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 10.03 * 90000), 0), 10.03 * 90000);
    assert.equal(clock.reanchors, 0);
    // 50 ms: the video timeline follows the report again.
    clock.onSenderReport(VIDEO, { ntpSeconds: 70, rtpTimestamp: 20.05 * 90000 }, 0);
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 20.05 * 90000), 0), 20 * 90000);
    assert.equal(clock.reanchors, 1);
  });

  test('without reports, arrival times place the tracks; a late track joins on its first frame', () => {
    const clock = new MediaClock(clockRates);
    clock.start(new Map([[VIDEO, { rtp: clock.unwrap(VIDEO, 777), arrivalMs: 10_000 }]]));
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 777 + 9000), 10_100), 9000);
    // Audio's first packet arrives 250 ms after the first video frame.
    assert.equal(clock.toStreamTime(AUDIO, clock.unwrap(AUDIO, 5), 10_250), 0.25 * 48000);
    assert.equal(clock.toStreamTime(AUDIO, clock.unwrap(AUDIO, 965), 10_290), 0.25 * 48000 + 960);
  });

  test('a track without a report is placed through another track’s report (sender clock ≠ ours)', () => {
    const clock = new MediaClock(clockRates);
    // Our wall clock reads 2_000_000 ms when the sender's reads 1000 s (plus the network delay).
    clock.onSenderReport(VIDEO, { ntpSeconds: 1000, rtpTimestamp: 90000 }, 2_000_000);
    clock.start(
      new Map([
        [VIDEO, { rtp: clock.unwrap(VIDEO, 90000), arrivalMs: 2_000_000 }],
        [AUDIO, { rtp: clock.unwrap(AUDIO, 48000), arrivalMs: 2_000_100 }],
      ]),
    );
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 90000), 0), 0);
    assert.equal(clock.toStreamTime(AUDIO, clock.unwrap(AUDIO, 48000), 0), 0.1 * 48000);
  });
});
