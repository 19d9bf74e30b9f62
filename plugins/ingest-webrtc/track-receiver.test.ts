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

/** An H.264 RTP packet (RFC 6184) with the given payload. */
function h264Packet(sequenceNumber: number, timestamp: number, marker: boolean, payload: Buffer) {
  const header = new RtpHeader({ sequenceNumber, timestamp, marker, payloadType: 102, ssrc: 1234 });
  return new RtpPacket(header, payload);
}

function receive(latencyMs = 100, codec: 'vp8' | 'h264' = 'vp8') {
  const track = fakeTrack();
  const frames: ReceivedFrame[] = [];
  const reports: SenderReport[] = [];
  const errors: unknown[] = [];
  let losses = 0;
  const receiver = new TrackReceiver(track as unknown as MediaStreamTrack, codec, latencyMs, {
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

  test('H.264: STAP-A and FU-A out of order make one AVCC picture; a broken picture is one loss', () => {
    const { track, frames, losses, receiver } = receive(100, 'h264');
    const sps = Buffer.of(0x67, 1, 2, 3);
    const pps = Buffer.of(0x68, 4);
    const stapA = Buffer.concat([Buffer.of(0x78, 0, 4), sps, Buffer.of(0, 2), pps]);
    const fu = (start: boolean, end: boolean, bytes: number[]) =>
      Buffer.of(0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | 5, ...bytes);
    const packets = [
      h264Packet(10, 3000, false, stapA),
      h264Packet(11, 3000, false, fu(true, false, [1, 2])),
      h264Packet(12, 3000, true, fu(false, true, [3])),
    ];
    for (const i of [0, 2, 1]) track.onReceiveRtp.execute(packets[i]!);
    const idr = Buffer.of(0x65, 1, 2, 3);
    const avcc = (...nals: Buffer[]) =>
      Buffer.concat(nals.flatMap((nal) => [Buffer.of(0, 0, 0, nal.length), nal]));
    assert.deepEqual(frames, [{ data: new Uint8Array(avcc(sps, pps, idr)), rtpTimestamp: 3000 }]);
    assert.equal(losses(), 0);
    // A STAP-A whose unit overruns the packet breaks its picture: dropped, and reported as a loss.
    track.onReceiveRtp.execute(h264Packet(13, 6000, true, Buffer.of(0x78, 0, 9, 1)));
    assert.equal(frames.length, 1);
    assert.equal(losses(), 1);
    // 15, the end of picture 9000, never comes: the jitter buffer gives up once 16 has waited more
    // than the 100 ms latency (9000 ticks) and reports one loss; picture 9000 is dropped without a
    // second one. 12000 is whole (the publisher drops it while it waits for a keyframe).
    track.onReceiveRtp.execute(h264Packet(14, 9000, false, Buffer.of(0x41, 1)));
    track.onReceiveRtp.execute(h264Packet(16, 12000, true, Buffer.of(0x41, 16)));
    track.onReceiveRtp.execute(h264Packet(17, 24000, true, Buffer.of(0x41, 17)));
    assert.equal(losses(), 2);
    assert.deepEqual(
      frames.map((f) => f.rtpTimestamp),
      [3000, 12000, 24000],
    );
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
