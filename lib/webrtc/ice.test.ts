import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CandidatePair, Message, Protocol } from 'werift';
import { iceOptions } from './ice.js';
import { iceSettings as ice } from '../../test/helpers/ingest-webrtc/chromium-offers.js';

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
});
