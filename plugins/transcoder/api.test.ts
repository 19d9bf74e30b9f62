import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertedStreamName, parseConvertedStreamName } from './api.js';

test('converted stream names: built and parsed back, the source may hold colons; other names are not', () => {
  assert.equal(convertedStreamName('opus', 'cam'), 'converted:opus:cam');
  assert.deepEqual(parseConvertedStreamName('converted:aac:rtsp://cam:554/x'), {
    codec: 'aac',
    source: 'rtsp://cam:554/x',
  });
  assert.deepEqual(parseConvertedStreamName(convertedStreamName('opus', 'converted:aac:cam')), {
    codec: 'opus',
    source: 'converted:aac:cam',
  });
  for (const name of [
    'cam',
    'converted:vorbis:cam',
    'converted:opus:',
    'converted:opus',
    'Converted:opus:cam',
  ])
    assert.equal(parseConvertedStreamName(name), undefined, name);
});
