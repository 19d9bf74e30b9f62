import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RTCPeerConnection, useH264, useOPUS } from 'werift';
import { chromiumOffer, LOOPBACK_ICE } from '../../test/helpers/ingest-webrtc/chromium-offers.js';
import { iceGathered } from './ice-gathering.js';
import { enlargeReceiveBuffers, grantedReceiveBufferBytes, iceSockets } from './udp-buffers.js';

test("werift's ICE sockets are reached and get the receive buffer asked for (up to rmem_max)", async () => {
  const pc = new RTCPeerConnection({
    ...LOOPBACK_ICE,
    codecs: { video: [useH264()], audio: [useOPUS()] },
  });
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: chromiumOffer() });
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGathered(pc);
    const sockets = iceSockets(pc);
    assert.ok(sockets.length >= 1, 'at least the 127.0.0.1 socket');
    const before = sockets.map((socket) => socket.getRecvBufferSize());
    const wanted = 1024 * 1024;
    const sizes = enlargeReceiveBuffers(pc, wanted);
    assert.equal(sizes.length, sockets.length);
    if (process.platform === 'linux') {
      // Linux grants min(wanted, rmem_max) (root may exceed rmem_max with SO_RCVBUFFORCE; Node does not
      // use it) and reports twice that.
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      for (const size of sizes)
        assert.equal(size, 2 * Math.min(wanted, rmemMax), `before: ${before.join(',')}`);
    } else {
      for (const [i, size] of sizes.entries()) assert.ok(size >= before[i]!);
    }
  } finally {
    await pc.close();
  }
});

test('the granted size is the smallest reported one (Linux reports twice what it grants); none reached = undefined', () => {
  assert.equal(grantedReceiveBufferBytes([]), undefined);
  const reported = [425984, 8388608];
  assert.equal(grantedReceiveBufferBytes(reported), process.platform === 'linux' ? 212992 : 425984);
});
