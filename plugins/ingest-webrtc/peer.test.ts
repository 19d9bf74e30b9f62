import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rembBitrate } from './peer.js';

test('REMB bitrate: 18-bit mantissa × 2^exponent', () => {
  const { brExp, brMantissa } = rembBitrate(8_000_000);
  assert.ok(brMantissa < 2 ** 18);
  assert.ok(Math.abs(brMantissa * 2 ** brExp - 8_000_000) < 2 ** brExp);
  assert.deepEqual(rembBitrate(100_000), { brExp: 0, brMantissa: 100_000 });
});
