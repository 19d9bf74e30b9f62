import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Event, RtcpSenderInfo, RtcpSrPacket, RtpHeader, RtpPacket, type MediaStreamTrack } from 'werift';
import type { SenderReport } from './media-clock.js';
import { TrackReceiver, type ReceivedFrame } from './track-receiver.js';

/** The two events of a werift remote track the receiver listens to. */
function fakeTrack() {
  return { onReceiveRtp: new Event<[RtpPacket]>(), onReceiveRtcp: new Event<[unknown]>() };
}

/** A VP8 RTP packet: payload descriptor (S bit on the first packet of a frame) + bytes. */
function vp8Packet(
  sequenceNumber: number,
  timestamp: number,
  first: boolean,
  marker: boolean,
  bytes: number[],
) {
  const header = new RtpHeader({ sequenceNumber, timestamp, marker, payloadType: 96, ssrc: 1234 });
  return new RtpPacket(header, Buffer.from([first ? 0x10 : 0x00, ...bytes]));
}

function receive(latencyMs = 100) {
  const track = fakeTrack();
  const frames: ReceivedFrame[] = [];
  const reports: SenderReport[] = [];
  const errors: unknown[] = [];
  let losses = 0;
  const receiver = new TrackReceiver(track as unknown as MediaStreamTrack, 'vp8', latencyMs, {
    onFrame: (frame) => frames.push(frame),
    onLoss: () => losses++,
    onSenderReport: (report) => reports.push(report),
    onPacket: () => undefined,
    onError: (error) => errors.push(error),
  });
  return { track, frames, reports, errors, losses: () => losses, receiver };
}

describe('TrackReceiver', () => {
  test('packets out of order make whole frames; the sender’s packet objects are left intact', () => {
    const { track, frames, receiver } = receive();
    const packets = [
      vp8Packet(10, 3000, true, false, [1, 2]),
      vp8Packet(11, 3000, false, false, [3]),
      vp8Packet(12, 3000, false, true, [4]),
      vp8Packet(13, 6000, true, true, [5]),
    ];
    for (const i of [0, 2, 1, 3]) track.onReceiveRtp.execute(packets[i]!);
    assert.deepEqual(
      frames.map((f) => [f.rtpTimestamp, [...f.data]]),
      [
        [3000, [1, 2, 3, 4]],
        [6000, [5]],
      ],
    );
    assert.equal(packets[0]!.payload.length, 3, 'the depacketizer cleared a copy, not the shared packet');
    receiver.stop();
  });

  test('a packet not retransmitted within the latency is a loss; the broken frame is not emitted', () => {
    const { track, frames, losses, receiver } = receive(100);
    track.onReceiveRtp.execute(vp8Packet(1, 0, true, true, [9]));
    track.onReceiveRtp.execute(vp8Packet(2, 3000, true, false, [1]));
    // 3 never comes; 4 ends that frame, then frames run on past the 100 ms latency (9000 ticks).
    track.onReceiveRtp.execute(vp8Packet(4, 3000, false, true, [2]));
    for (let seq = 5; seq < 10; seq++)
      track.onReceiveRtp.execute(vp8Packet(seq, (seq - 3) * 3000, true, true, [seq]));
    assert.equal(losses(), 1);
    assert.ok(!frames.some((f) => f.rtpTimestamp === 3000), 'the frame missing a packet is dropped');
    assert.deepEqual(frames.at(-1), { data: Buffer.from([9]), rtpTimestamp: 18000 });
    receiver.stop();
  });

  test('sender reports are read with the NTP fraction as a fraction', () => {
    const { track, reports, receiver } = receive();
    const senderInfo = new RtcpSenderInfo({ ntpTimestamp: (100n << 32n) | 0x40000000n, rtpTimestamp: 42 });
    track.onReceiveRtcp.execute(new RtcpSrPacket({ ssrc: 1234, senderInfo }));
    assert.deepEqual(reports, [{ ntpSeconds: 100.25, rtpTimestamp: 42 }]);
    receiver.stop();
  });

  test('a handler that throws is reported, not thrown into werift; stop() unsubscribes', async () => {
    const track = fakeTrack();
    const errors: unknown[] = [];
    const receiver = new TrackReceiver(track as unknown as MediaStreamTrack, 'opus', 100, {
      onFrame: () => {
        throw new Error('boom');
      },
      onLoss: () => undefined,
      onSenderReport: () => undefined,
      onPacket: () => undefined,
      onError: (error) => errors.push(error),
    });
    const opus = new RtpPacket(
      new RtpHeader({ sequenceNumber: 1, timestamp: 960, payloadType: 111 }),
      Buffer.from([0x78, 1]),
    );
    assert.doesNotThrow(() => track.onReceiveRtp.execute(opus));
    assert.match(String(errors[0]), /boom/);
    receiver.stop();
    track.onReceiveRtp.execute(opus);
    await sleep(1);
    assert.equal(errors.length, 1);
  });
});
