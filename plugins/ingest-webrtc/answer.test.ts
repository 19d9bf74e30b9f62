import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CandidatePair, Message, Protocol } from 'werift';
import { rewriteAnswer } from './answer.js';
import type { IngestWebRtcConfig } from './config.js';
import { iceOptions } from './ice.js';
import { rembBitrate } from './peer.js';

const ice = (overrides: Partial<IngestWebRtcConfig['ice']> = {}): IngestWebRtcConfig['ice'] => ({
  addresses: [],
  publicAddress: '',
  portMin: 0,
  portMax: 0,
  ipv6: false,
  receiveBufferBytes: 4194304,
  ...overrides,
});

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

describe('ICE options', () => {
  test('no STUN server; the port range when set; loopback answers loopback peers only', () => {
    assert.deepEqual(iceOptions(ice()).iceServers, []);
    assert.equal(iceOptions(ice()).iceAdditionalHostAddresses, undefined);
    assert.deepEqual(iceOptions(ice({ portMin: 40000, portMax: 40100 })).icePortRange, [40000, 40100]);
    const loopback = iceOptions(ice({ addresses: ['127.0.0.1'] }));
    assert.deepEqual(loopback.iceAdditionalHostAddresses, ['127.0.0.1']);
    assert.deepEqual(loopback.iceInterfaceAddresses, { udp4: '127.0.0.1' });
    const onLoopback = { localIp: '127.0.0.1' } as Protocol;
    const onOther = { localIp: '192.0.2.2' } as Protocol;
    const answers = (protocol: Protocol, from: string) =>
      loopback.iceFilterStunResponse!({} as Message, [from, 5000], protocol);
    assert.equal(answers(onLoopback, '127.0.0.1'), true);
    assert.equal(answers(onLoopback, '192.0.2.2'), false, 'Chromium would nominate its external address');
    assert.equal(answers(onOther, '127.0.0.1'), false);
    assert.equal(loopback.iceFilterCandidatePair!({ protocol: onOther } as CandidatePair), false);
    assert.equal(loopback.iceFilterCandidatePair!({ protocol: onLoopback } as CandidatePair), true);
    const lan = iceOptions(ice({ addresses: ['10.0.0.5', '10.0.1.5'] }));
    assert.equal(
      lan.iceInterfaceAddresses,
      undefined,
      'several addresses: sockets on all, candidates filtered',
    );
    assert.equal(
      lan.iceFilterStunResponse!({} as Message, ['198.51.100.1', 1], { localIp: '10.0.1.5' } as Protocol),
      true,
    );
  });

  test('REMB bitrate: 18-bit mantissa × 2^exponent', () => {
    const { brExp, brMantissa } = rembBitrate(8_000_000);
    assert.ok(brMantissa < 2 ** 18);
    assert.ok(Math.abs(brMantissa * 2 ** brExp - 8_000_000) < 2 ** brExp);
    assert.deepEqual(rembBitrate(100_000), { brExp: 0, brMantissa: 100_000 });
  });
});
