import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSpoolError } from '../../core/index.js';
import { cutFileName, isCuttable, parseCutRange } from './cut-request.js';

function refused(query: Record<string, string | string[]>, mention: RegExp): void {
  assert.throws(
    () => parseCutRange(query),
    (error: unknown) => isSpoolError(error, 'SPOOL_ERR_BAD_REQUEST') && mention.test(error.message),
    JSON.stringify(query),
  );
}

describe('cut requests', () => {
  test('parseCutRange: start and/or end in decimal seconds; a left-out start is 0', () => {
    assert.equal(parseCutRange({}), undefined);
    assert.equal(parseCutRange({ start: '', end: '' }), undefined);
    assert.deepEqual(parseCutRange({ start: '11', end: '60' }), { startS: 11, endS: 60 });
    assert.deepEqual(parseCutRange({ start: '11' }), { startS: 11 });
    assert.deepEqual(parseCutRange({ end: '60' }), { startS: 0, endS: 60 });
    assert.deepEqual(parseCutRange({ start: '011.50', end: '60.0' }), { startS: 11.5, endS: 60 });
    assert.deepEqual(parseCutRange({ start: '1.23456' }), { startS: 1.235 });
  });

  test('parseCutRange refuses non-numbers, negatives, repeats, huge values and start >= end', () => {
    refused({ start: 'abc' }, /start must be a number/);
    refused({ end: '0x10' }, /end must be a number/);
    refused({ start: '1e3' }, /start must be a number/);
    refused({ start: ' 5' }, /start must be a number/);
    refused({ start: 'Infinity' }, /start must be a number/);
    refused({ start: '-1' }, /start must not be negative/);
    refused({ end: '-5' }, /end must not be negative/);
    refused({ start: ['1', '2'] }, /start is given more than once/);
    refused({ end: '99999999999' }, /end must be at most/);
    refused({ start: '10', end: '5' }, /start \(10\) must be less than end \(5\)/);
    refused({ start: '5', end: '5' }, /must be less than end/);
    refused({ end: '0' }, /start \(0\) must be less than end \(0\)/);
  });

  test('cutFileName: NAME-sS-eE.mp4; no -eE part without an end', () => {
    assert.equal(cutFileName('stream.mp4', { startS: 11, endS: 60 }), 'stream-s11-e60.mp4');
    assert.equal(cutFileName('stream.mp4', { startS: 0, endS: 60 }), 'stream-s0-e60.mp4');
    assert.equal(cutFileName('stream.mp4', { startS: 11.5 }), 'stream-s11.5.mp4');
    assert.equal(cutFileName('a.b.MP4', { startS: 0.25, endS: 1 }), 'a.b-s0.25-e1.MP4');
  });

  test('isCuttable: MP4 only', () => {
    assert.equal(isCuttable('a.mp4'), true);
    assert.equal(isCuttable('a.MP4'), true);
    for (const name of ['a.webm', 'a.mkv', 'a.ts', 'mp4']) assert.equal(isCuttable(name), false, name);
  });
});
