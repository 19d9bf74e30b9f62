import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consentResponseTimeoutMs, MediaStreamTrack, RTCPeerConnection, useOPUS } from 'werift';
import { relaxConsentDeadline } from './ice-consent.js';
import { iceOptions } from './ice.js';

const loopback = iceOptions({
  addresses: ['127.0.0.1'],
  publicAddress: '',
  portMin: 0,
  portMax: 0,
  ipv6: false,
  receiveBufferBytes: 0,
});

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState !== 'complete') {
    await pc.iceGatheringStateChange.watch((state) => state === 'complete', 5000);
  }
}

test("werift's consent deadline is raised on the nominated pair: 2.2 s at a 1 s floor instead of 500 ms", async () => {
  const sender = new RTCPeerConnection({ ...loopback, codecs: { audio: [useOPUS()] } });
  const receiver = new RTCPeerConnection({ ...loopback, codecs: { audio: [useOPUS()] } });
  try {
    assert.equal(relaxConsentDeadline(receiver, 1), 0, 'nothing nominated before ICE connects');
    sender.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    await sender.setLocalDescription(await sender.createOffer());
    await gathered(sender);
    await receiver.setRemoteDescription(sender.localDescription!);
    await receiver.setLocalDescription(await receiver.createAnswer());
    await gathered(receiver);
    await sender.setRemoteDescription(receiver.localDescription!);
    await receiver.connectionStateChange.watch((state) => state === 'connected', 10_000);

    const pair = (receiver.iceTransports[0] as unknown as { connection: { nominated: { rtt?: number } } })
      .connection.nominated;
    assert.ok(consentResponseTimeoutMs(pair.rtt) <= 500, `before: ${consentResponseTimeoutMs(pair.rtt)} ms`);
    assert.equal(relaxConsentDeadline(receiver, 1), 1);
    assert.equal(consentResponseTimeoutMs(pair.rtt), 2200);
    // A larger measured RTT is kept.
    pair.rtt = 3;
    relaxConsentDeadline(receiver, 1);
    assert.equal(pair.rtt, 3);
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
});
