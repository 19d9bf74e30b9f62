import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, Track } from '../../core/index.js';
import { Timeline } from './timeline.js';

const video: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000 };
const audio: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 44100, sampleRate: 44100, channels: 2 };
const at = (trackId: number, dts: number, pts = dts, keyframe = false): Frame => ({
  trackId,
  dts,
  pts,
  keyframe,
  data: new Uint8Array(1),
  arrivalMs: 0,
});

test('rebases every track to the first frame, in its own timescale, keeping composition offsets', () => {
  const timeline = new Timeline();
  // A WebRTC-like clock: the stream starts at 1000 s.
  const first = timeline.rebase(at(1, 90_000_000, 90_006_000, true), video)!;
  assert.deepEqual([first.dts, first.pts], [-6000, 0], 'presentation starts at 0; decode may start before');
  const bFrame = timeline.rebase(at(1, 90_003_000, 90_003_000), video)!;
  assert.deepEqual([bFrame.dts, bFrame.pts], [-3000, -3000], 'later frames of a started track are kept');
  assert.equal(timeline.rebase(at(2, 44_100_000 + 1024), audio), undefined, 'audio before the first picture');
  const sound = timeline.rebase(at(2, 44_100_000 + 4096), audio)!;
  assert.deepEqual([sound.dts, sound.pts], [4096 - 2940, 4096 - 2940]);
  assert.ok(
    Math.abs(timeline.startTimeMs! - 1_000_066.7) < 0.1,
    '{startTime} is the first picture, not its decode time',
  );
  assert.ok(Math.abs(timeline.endTimeMs! - 1_000_092.9) < 0.1);
});

test('drops audio from before the first keyframe and frames that go backwards', () => {
  const timeline = new Timeline();
  timeline.rebase(at(1, 9000, 9000, true), video);
  assert.equal(timeline.rebase(at(2, 4410 - 1024), audio), undefined);
  assert.equal(timeline.droppedEarly, 1);
  assert.ok(timeline.rebase(at(2, 4410), audio));
  assert.ok(timeline.rebase(at(1, 12000), video));
  assert.equal(timeline.rebase(at(1, 10000), video), undefined);
  assert.equal(timeline.droppedBackwards, 1);
});
