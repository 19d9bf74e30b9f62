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

  test('reports arriving after a start on arrival times do not move the timeline (NTP vs Unix epoch)', () => {
    const clock = new MediaClock(clockRates);
    const unixMs = 1_796_000_000_000;
    clock.start(
      new Map([
        [VIDEO, { rtp: clock.unwrap(VIDEO, 90000), arrivalMs: unixMs }],
        [AUDIO, { rtp: clock.unwrap(AUDIO, 48000), arrivalMs: unixMs + 20 }],
      ]),
    );
    // 1 s later the sender's first reports: its NTP clock (1900 epoch) agrees with ours to 3 ms.
    const ntpAt = (ms: number) => ms / 1000 + 2_208_988_800 - 0.003;
    clock.onSenderReport(VIDEO, { ntpSeconds: ntpAt(unixMs + 1000), rtpTimestamp: 180000 }, unixMs + 1000);
    clock.onSenderReport(AUDIO, { ntpSeconds: ntpAt(unixMs + 1000), rtpTimestamp: 96000 }, unixMs + 1000);
    assert.equal(clock.reanchors, 0, 'no re-anchoring for a 3 ms disagreement');
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 270000), unixMs + 2000), 2 * 90000);
    assert.equal(
      clock.toStreamTime(AUDIO, clock.unwrap(AUDIO, 144000), unixMs + 2000),
      0.02 * 48000 + 2 * 48000,
    );
  });

  test('reports stamped late by a pacer do not move the timeline; a real drift still does', () => {
    const clock = new MediaClock(clockRates);
    const report = (track: number, rate: number, second: number, lateS: number) =>
      clock.onSenderReport(track, { ntpSeconds: 1000 + second + lateS, rtpTimestamp: second * rate }, 0);
    report(VIDEO, 90000, 0, 0);
    report(AUDIO, 48000, 0, 0);
    clock.start(
      new Map([
        [VIDEO, { rtp: clock.unwrap(VIDEO, 0), arrivalMs: 0 }],
        [AUDIO, { rtp: clock.unwrap(AUDIO, 0), arrivalMs: 0 }],
      ]),
    );
    // Video reports sent 0-200 ms after their media time (keyframe bursts paced out), audio on time.
    const lateness = [0.2, 0.05, 0.15, 0.18, 0.01, 0.12, 0.2, 0.09, 0.16, 0.03, 0.2, 0.07];
    for (const [i, late] of lateness.entries()) {
      clock.unwrap(VIDEO, (i + 1) * 90000);
      clock.unwrap(AUDIO, (i + 1) * 48000);
      report(VIDEO, 90000, i + 1, late);
      report(AUDIO, 48000, i + 1, 0);
    }
    assert.equal(clock.reanchors, 0);
    assert.equal(clock.toStreamTime(VIDEO, clock.unwrap(VIDEO, 13 * 90000), 0), 13 * 90000);
    // The audio clock really falls 60 ms behind (every report says so): re-anchored.
    for (let second = 14; second < 14 + 8; second++) {
      clock.unwrap(AUDIO, second * 48000);
      report(AUDIO, 48000, second, 0.06);
    }
    assert.equal(clock.reanchors, 1);
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

  test("originUnixMs: the sender's NTP time of stream time 0 as Unix ms; arrival time before any report", () => {
    // The sender's clock reads 2019-03-26T05:20:43.961Z (NTP = Unix + 2_208_988_800 s) at RTP 90000.
    const unixS = 1_553_577_643.961;
    const reported = new MediaClock(clockRates);
    reported.onSenderReport(VIDEO, { ntpSeconds: unixS + 2_208_988_800, rtpTimestamp: 90000 }, 5_000);
    reported.onSenderReport(AUDIO, { ntpSeconds: unixS + 2_208_988_800, rtpTimestamp: 48000 }, 5_000);
    assert.equal(reported.originUnixMs, undefined, 'not before start()');
    reported.start(
      new Map([
        [VIDEO, { rtp: reported.unwrap(VIDEO, 90000 + 9000), arrivalMs: 5_100 }],
        [AUDIO, { rtp: reported.unwrap(AUDIO, 48000 + 2400), arrivalMs: 5_050 }],
      ]),
    );
    // Stream time 0 is the audio's first frame, 50 ms after the report's instant.
    assert.ok(Math.abs(reported.originUnixMs! - (unixS * 1000 + 50)) < 0.01, `${reported.originUnixMs}`);

    const unreported = new MediaClock(clockRates);
    unreported.start(new Map([[VIDEO, { rtp: unreported.unwrap(VIDEO, 1), arrivalMs: 1_700_000_000_000 }]]));
    assert.equal(unreported.originUnixMs, 1_700_000_000_000);

    // A sender whose "NTP" clock counts from its boot gives no date: stream time stays 0-based.
    const uptime = new MediaClock(clockRates);
    uptime.onSenderReport(VIDEO, { ntpSeconds: 3600, rtpTimestamp: 0 }, 5_000);
    uptime.start(new Map([[VIDEO, { rtp: uptime.unwrap(VIDEO, 0), arrivalMs: 5_000 }]]));
    assert.equal(uptime.originUnixMs, undefined);
  });
});
