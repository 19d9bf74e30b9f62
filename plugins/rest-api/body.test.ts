import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isSpoolError } from '../../core/index.js';
import { readJsonBody } from './body.js';

function request(chunks: Array<string | Buffer>, headers: Record<string, string> = {}) {
  let read = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        read++;
        yield Buffer.from(chunk);
      }
    })(),
  );
  return { request: Object.assign(stream, { headers }) as unknown as IncomingMessage, read: () => read };
}

const failsWith = (status: number, message: RegExp) => (error: unknown) =>
  isSpoolError(error) && error.status === status && message.test(error.message);

describe('JSON body reader', () => {
  test('parses JSON sent in pieces; an empty or blank body is undefined', async () => {
    assert.deepEqual(await readJsonBody(request(['{"a":', ' [1, "ü"]}']).request, 64), { a: [1, 'ü'] });
    assert.equal(await readJsonBody(request([]).request, 64), undefined);
    assert.equal(await readJsonBody(request([' \n']).request, 64), undefined);
  });

  test('bad JSON and bad UTF-8 are 400', async () => {
    await assert.rejects(readJsonBody(request(['{bad']).request, 64), failsWith(400, /not valid JSON/));
    await assert.rejects(
      readJsonBody(request([Buffer.from([0x22, 0xff, 0x22])]).request, 64),
      failsWith(400, /not UTF-8/),
    );
  });

  test('a body over the limit is 413, refused from Content-Length before reading', async () => {
    const declared = request(['{}'], { 'content-length': '65' });
    await assert.rejects(readJsonBody(declared.request, 64), failsWith(413, /larger than 64 bytes/));
    assert.equal(declared.read(), 0);
    const streamed = request(['x'.repeat(40), 'x'.repeat(40), 'never read']);
    await assert.rejects(readJsonBody(streamed.request, 64), failsWith(413, /larger than 64 bytes/));
    assert.equal(streamed.read(), 2, 'reading stops at the chunk that crosses the limit');
    assert.deepEqual(await readJsonBody(request([`"${'x'.repeat(62)}"`]).request, 64), 'x'.repeat(62));
  });
});
