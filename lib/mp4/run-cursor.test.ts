/** RunCursor on hand-made tables: every sample found from any earlier or later position. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lastAtOrBelow, RunCursor } from './run-cursor.js';

/** A table of `entries` (each a list of uint32 fields) as a box body holds it, from byte 8. */
function layout(entries: number[][]) {
  const entryBytes = 4 * (entries[0]?.length ?? 1);
  const view = new DataView(new ArrayBuffer(8 + entries.length * entryBytes));
  entries.forEach((fields, e) =>
    fields.forEach((value, f) => view.setUint32(8 + e * entryBytes + 4 * f, value)),
  );
  return { view, start: 8, entryBytes, count: entries.length };
}

/** Positions in an order that steps forward, back, jumps and repeats. */
const visitOrder = (samples: number) =>
  [...Array(samples).keys()].flatMap((i) => [i, samples - 1 - i, i >> 1]);

describe('RunCursor', () => {
  test('stts: entry, first sample and decode time of every sample, in any order; time lookups', () => {
    // 3 samples of 10, none of 7, 2 of 0 (all at 30), 4 of 5: decode times 0 10 20 30 30 30 35 40 45.
    const stts = layout([
      [3, 10],
      [0, 7],
      [2, 0],
      [4, 5],
    ]);
    const times = [0, 10, 20, 30, 30, 30, 35, 40, 45];
    const cursor = new RunCursor({ ...stts, timed: true });
    for (const sample of visitOrder(times.length)) {
      assert.ok(cursor.seek(sample), `sample ${sample}`);
      const delta = stts.view.getUint32(8 + cursor.entry * 8 + 4);
      assert.equal(
        cursor.startTime + (sample - cursor.firstSample) * delta,
        times[sample],
        `sample ${sample}`,
      );
    }
    assert.equal(cursor.seek(9), false, 'past the table');
    assert.equal(cursor.seek(-1), false);
    for (const [time, entry] of [
      [0, 0],
      [29, 0],
      [30, 3],
      [47, 3],
      [1000, 3],
      [25, 0],
    ] as const) {
      cursor.seekTime(time);
      assert.equal(cursor.entry, entry, `time ${time}`);
    }
  });

  test('stsc: samples per entry are its chunks times samples per chunk, the last entry up to the last chunk', () => {
    // Chunks 1-2 hold 2 samples, chunk 3 holds 1, chunks 4-6 (of 6) hold 3: 2+2+1+3+3+3 = 14 samples.
    const stsc = layout([
      [1, 2, 1],
      [3, 1, 1],
      [4, 3, 1],
    ]);
    const firstOfEntry = [0, 0, 0, 0, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5];
    const cursor = new RunCursor({ ...stsc, chunkCount: 6 });
    for (const sample of visitOrder(14)) {
      assert.ok(cursor.seek(sample));
      assert.equal(cursor.firstSample, firstOfEntry[sample], `sample ${sample}`);
    }
    assert.equal(cursor.seek(14), false, 'the chunks end');
  });

  test('an empty table finds nothing', () => {
    assert.equal(new RunCursor(layout([])).seek(0), false);
  });

  test('lastAtOrBelow', () => {
    const values = [2, 4, 4, 9];
    const at = (i: number) => values[i] ?? 0;
    assert.deepEqual(
      [1, 2, 3, 4, 8, 9, 10].map((v) => lastAtOrBelow(at, values.length, v)),
      [-1, 0, 0, 2, 2, 3, 3],
    );
  });
});
