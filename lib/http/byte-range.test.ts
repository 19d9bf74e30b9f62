import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRange } from './byte-range.js';

describe('parseRange', () => {
  test('a-b, a-, suffix, clamped to the file', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=0-0', 1000), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=990-', 1000), { start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=-10', 1000), { start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-1000', 1000), { start: 0, end: 999 });
  });

  test('a suffix longer than the file is the whole file (RFC 9110; range-parser 1.3.0 says unsatisfiable)', () => {
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=-2', 1), { start: 0, end: 0 });
  });

  test('unsatisfiable: a start at or past the end, a zero suffix, anything on an empty file', () => {
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=1000-2000', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=99999999999999999999-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-5', 0), 'unsatisfiable');
  });

  test('ignored (the whole file): invalid, another unit, several ranges, no header', () => {
    for (const header of [
      'bytes=5-1',
      'bytes=2000-1500',
      'bytes=0-1,3-4',
      'bytes=0-1,5000-',
      'bytes=0-1,',
      'bytes=-',
      'bytes=',
      'bytes=a-b',
      'bytes=1-2-3',
      'bytes=0x10-',
      'bytes 0-1',
      'items=0-1',
      'items=5-1',
    ]) {
      assert.equal(parseRange(header, 1000), undefined, header);
    }
    assert.equal(parseRange(undefined, 1000), undefined);
  });

  test('the unit is case-insensitive and whitespace around the parts is allowed', () => {
    assert.deepEqual(parseRange('Bytes=0-9', 1000), { start: 0, end: 9 });
    assert.deepEqual(parseRange(' bytes = 0 - 9 ', 1000), { start: 0, end: 9 });
  });
});
