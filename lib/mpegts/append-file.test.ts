/**
 * The write buffer behind crash safety: bytes reach the disk within the flush interval even when no more
 * come, the buffer is bounded, flushes keep their order, and a failed write is reported, not hidden.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { TempDir } from '../../test/helpers/tmp.js';
import { AppendFile } from './append-file.js';

const tmp = new TempDir('spool-append-file-');
after(() => tmp.cleanup());

const sizeOnDisk = async (path: string): Promise<number> => (await stat(path)).size;
const bytes = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);

describe('AppendFile', () => {
  test('appended bytes reach the disk within flushIntervalMs without another append', async () => {
    const path = join(tmp.path, 'timer.bin');
    const file = await AppendFile.create(path, { flushIntervalMs: 200, maxBufferBytes: 1 << 20 });
    file.append(bytes(1000, 1));
    assert.equal(await sizeOnDisk(path), 0, 'buffered at first');
    assert.equal(file.size, 1000, 'size counts buffered bytes');
    await sleep(450);
    assert.equal(await sizeOnDisk(path), 1000, 'flushed by the timer');
    await file.close();
  });

  test('flushIfDue writes once the buffer passes maxBufferBytes, however long the interval', async () => {
    const path = join(tmp.path, 'bound.bin');
    const file = await AppendFile.create(path, { flushIntervalMs: 60_000, maxBufferBytes: 10_000 });
    file.append(bytes(4000, 1));
    file.append(bytes(4000, 2));
    await file.flushIfDue();
    assert.equal(await sizeOnDisk(path), 0);
    file.append(bytes(4000, 3));
    await file.flushIfDue();
    assert.equal(await sizeOnDisk(path), 12_000);
    await file.close();
  });

  test('flushes started without waiting keep their order; close writes the rest', async () => {
    const path = join(tmp.path, 'order.bin');
    const file = await AppendFile.create(path, { flushIntervalMs: 60_000, maxBufferBytes: 1 << 20 });
    const expected: number[] = [];
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      file.append(bytes(100 + i, i));
      expected.push(...bytes(100 + i, i));
      if (i % 7 === 0) flushes.push(file.flush());
    }
    await file.close();
    await Promise.all(flushes);
    assert.deepEqual([...(await readFile(path))], expected);
    assert.equal(file.size, expected.length);
    assert.throws(() => file.append(bytes(1, 0)), /closed/);
  });

  test(
    'a failed write is reported by flush, by the next append after a timer flush, and by close',
    {
      skip: !existsSync('/dev/full') && 'no /dev/full',
    },
    async () => {
      const file = await AppendFile.create('/dev/full', { flushIntervalMs: 50, maxBufferBytes: 1 << 20 });
      file.append(bytes(5, 1));
      await assert.rejects(file.flush(), /writing 5 bytes at 0 failed/);
      assert.equal(file.size, 0, 'the lost bytes are not counted');
      file.append(bytes(7, 1));
      await sleep(200);
      assert.throws(() => file.append(bytes(1, 1)), /writing 7 bytes at 0 failed/);
      file.append(bytes(3, 1));
      await assert.rejects(file.close(), /writing 3 bytes at 0 failed/);
    },
  );
});
