import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FFMPEG_ASC, FFMPEG_AVCC } from '../../test/helpers/rtmp-ingest.js';
import { AudioClock, aacTrack, h264Track } from './tracks.js';

describe('tracks from sequence headers', () => {
  test('H.264: size from the SPS, avcC kept as received', () => {
    const { track, lengthSize } = h264Track(FFMPEG_AVCC);
    assert.deepEqual(
      { ...track, config: Buffer.from(track.config!) },
      {
        id: 1,
        kind: 'video',
        codec: 'h264',
        timescale: 90000,
        config: FFMPEG_AVCC,
        width: 640,
        height: 360,
      },
    );
    assert.equal(lengthSize, 4);
    const twoByteLengths = Buffer.from(FFMPEG_AVCC);
    twoByteLengths[4] = 0xfd;
    const converted = h264Track(twoByteLengths);
    assert.equal(converted.lengthSize, 2);
    assert.equal(converted.track.config![4], 0xff, 'the record says 4-byte lengths, as the frames will have');
    assert.throws(() => h264Track(FFMPEG_AVCC.subarray(0, 12)), /truncated/);
  });

  test('AAC: timescale = sample rate, channels, config kept', () => {
    const { track, samplesPerFrame } = aacTrack(FFMPEG_ASC);
    assert.deepEqual(
      [track.id, track.codec, track.timescale, track.sampleRate, track.channels, samplesPerFrame],
      [2, 'aac', 44100, 44100, 2, 1024],
    );
    assert.throws(() => aacTrack(Uint8Array.of(0x12)), /too short/);
  });

  test('audio clock: exact 1024-sample steps under millisecond jitter, realigned after a gap', () => {
    const clock = new AudioClock(44100, 1024);
    const msTimes = Array.from({ length: 50 }, (_, k) => 1000 + Math.round((k * 1024 * 1000) / 44100));
    const dts = msTimes.map((ms) => clock.next(ms).dts);
    assert.equal(dts[0], 44100);
    assert.deepEqual(new Set(dts.slice(1).map((d, i) => d - dts[i]!)), new Set([1024]));
    const afterGap = clock.next(msTimes.at(-1)! + 500);
    assert.equal(afterGap.resynced, true);
    assert.equal(afterGap.dts, Math.round(((msTimes.at(-1)! + 500) * 44100) / 1000));
    assert.equal(clock.next(msTimes.at(-1)! + 523).dts, afterGap.dts + 1024);
  });
});
