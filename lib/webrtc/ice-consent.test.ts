import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consentResponseTimeoutMs, MediaStreamTrack, RTCPeerConnection, useOPUS } from 'werift';
import { relaxConsentDeadline } from './ice-consent.js';
import { LOOPBACK_ICE } from '../../test/helpers/ingest-webrtc/chromium-offers.js';
import { iceGathered } from './ice-gathering.js';

test("werift's consent deadline is raised on the nominated pair: 2.2 s at a 1 s floor instead of 500 ms", async () => {
  const sender = new RTCPeerConnection({ ...LOOPBACK_ICE, codecs: { audio: [useOPUS()] } });
  const receiver = new RTCPeerConnection({ ...LOOPBACK_ICE, codecs: { audio: [useOPUS()] } });
  try {
    assert.equal(relaxConsentDeadline(receiver, 1), 0, 'nothing nominated before ICE connects');
    sender.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    await sender.setLocalDescription(await sender.createOffer());
    await iceGathered(sender);
    await receiver.setRemoteDescription(sender.localDescription!);
    await receiver.setLocalDescription(await receiver.createAnswer());
    await iceGathered(receiver);
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
