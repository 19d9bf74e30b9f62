import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, Logger } from '../../core/index.js';
import { PartSwitch } from './part-switch.js';

const audio = (k: number): Frame => ({
  trackId: 2,
  data: new Uint8Array(1),
  dts: k * 1024,
  pts: k * 1024,
  keyframe: true,
  arrivalMs: 0,
});

function partSwitch(audioBufferMaxSize: number): PartSwitch {
  return new PartSwitch({
    audioBufferMaxSize,
    trackOf: () => undefined,
    closePart: () => Promise.resolve(),
    log: {} as Logger,
  });
}

test('record_audio_buffer_max_size bounds the held audio: never more than N, the oldest handed back first', () => {
  const parts = partSwitch(20);
  const evicted: number[] = [];
  for (let k = 0; k < 1000; k++) {
    const out = parts.hold(audio(k));
    if (out !== undefined) evicted.push(out.pts / 1024);
    assert.ok(parts.heldFrames <= 20, `${parts.heldFrames} frames held after ${k + 1}`);
  }
  assert.deepEqual(
    evicted,
    Array.from({ length: 980 }, (_, k) => k),
    'evicted in arrival order',
  );
  const kept = parts.releaseHeld().map((f) => f.pts / 1024);
  assert.deepEqual(
    kept,
    Array.from({ length: 20 }, (_, k) => 980 + k),
    'the last N are kept',
  );
  assert.equal(parts.heldFrames, 0);
});

test('record_audio_buffer_max_size=0 holds nothing: each frame comes straight back', () => {
  const parts = partSwitch(0);
  const frame = audio(1);
  assert.equal(parts.hold(frame), frame);
  assert.equal(parts.heldFrames, 0);
});
