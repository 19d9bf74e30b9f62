import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rewriteAnswer } from './answer.js';
import { iceSettings as ice } from '../../test/helpers/ingest-webrtc/chromium-offers.js';

const ANSWER = [
  'v=0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=candidate:aa 1 udp 2116026367 127.0.0.1 35535 typ host generation 0 ufrag d616',
  'a=candidate:bb 1 udp 2116026367 192.0.2.2 48090 typ host generation 0 ufrag d616',
  'a=end-of-candidates',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  '',
].join('\r\n');

describe('the answer', () => {
  test('keeps candidates on configured addresses and adds the public address on the same port', () => {
    const sdp = rewriteAnswer(ANSWER, {
      ice: ice({ addresses: ['127.0.0.1'], publicAddress: '203.0.113.7' }),
      startBitrateKbps: 1,
    });
    const candidates = sdp.split('\r\n').filter((line) => line.startsWith('a=candidate'));
    assert.deepEqual(candidates, [
      'a=candidate:aa 1 udp 2116026367 127.0.0.1 35535 typ host generation 0 ufrag d616',
      'a=candidate:aap 1 udp 2116026366 203.0.113.7 35535 typ host generation 0 ufrag d616',
    ]);
    assert.equal(
      rewriteAnswer(ANSWER, { ice: ice(), startBitrateKbps: 1 }),
      ANSWER,
      'no addresses: all stay',
    );
  });

  test('x-google-start-bitrate joins the video fmtp, or makes one (VP8 has none)', () => {
    const vp8 = rewriteAnswer(ANSWER, { ice: ice(), videoPayloadType: 96, startBitrateKbps: 2500 });
    assert.match(vp8, /a=rtpmap:96 VP8\/90000\r\na=fmtp:96 x-google-start-bitrate=2500\r\n/);
    const h264 = ANSWER.replace('a=rtcp-fb:96 nack', 'a=fmtp:96 packetization-mode=1');
    assert.match(
      rewriteAnswer(h264, { ice: ice(), videoPayloadType: 96, startBitrateKbps: 2500 }),
      /a=fmtp:96 packetization-mode=1;x-google-start-bitrate=2500\r\n/,
    );
  });
});
