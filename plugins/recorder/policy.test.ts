import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamInfo } from '../../core/index.js';
import { decideRecording } from './policy.js';

const stream = (source: string, record: boolean): StreamInfo => ({
  mediaSessionId: 'id',
  name: 'cam',
  login: '',
  source,
  record,
  query: {},
  publishedAtMillis: 0,
  tracks: [],
});
const defaults = { recordStreams: true, recordFlashPublishedStreams: false, recordRtspStreams: false };

test('RTMP is not recorded by default; record=true or record_flash_published_streams turn it on', () => {
  assert.equal(decideRecording(stream('rtmp', false), defaults).record, false);
  assert.deepEqual(decideRecording(stream('rtmp', true), defaults), {
    record: true,
    origin: 'publisher',
    reason: 'the publisher asked (record=true)',
  });
  assert.equal(
    decideRecording(stream('rtmp', false), { ...defaults, recordFlashPublishedStreams: true }).record,
    true,
  );
  assert.equal(
    decideRecording(stream('webrtc', false), { ...defaults, recordFlashPublishedStreams: true }).record,
    false,
  );
});

test('RTSP follows record_rtsp_streams; record_streams=false turns everything off', () => {
  assert.equal(decideRecording(stream('rtsp', false), defaults).record, false);
  assert.equal(decideRecording(stream('rtsp', false), { ...defaults, recordRtspStreams: true }).record, true);
  const off = { recordStreams: false, recordFlashPublishedStreams: true, recordRtspStreams: true };
  for (const source of ['rtmp', 'rtsp', 'webrtc']) {
    assert.equal(decideRecording(stream(source, true), off).record, false, source);
  }
});

test('a converted stream for players (source transcoder, record=false) is never recorded by policy', () => {
  const everything = { recordStreams: true, recordFlashPublishedStreams: true, recordRtspStreams: true };
  assert.equal(decideRecording(stream('transcoder', false), everything).record, false);
});
