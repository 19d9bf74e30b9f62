import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Vp8RtpPayload } from 'werift';
import { joinAvcc } from '../codecs/h264.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import { H264Packetizer, pictureNals } from './h264-packetizer.js';
import type { RtpPacket } from './rtp.js';
import { Vp8Packetizer } from './vp8-packetizer.js';

const nal = (type: number, size: number, fill = 1) =>
  Buffer.concat([Buffer.of(0x60 | type), Buffer.alloc(size - 1, fill)]);

/** Payloads of one picture as packets: consecutive sequence numbers, the marker on the last. */
function packets(payloads: Buffer[], timestamp: number, firstSequence: number): RtpPacket[] {
  return payloads.map((payload, i) => ({
    payloadType: 96,
    marker: i === payloads.length - 1,
    sequence: (firstSequence + i) & 0xffff,
    timestamp,
    ssrc: 1,
    payload,
  }));
}

describe('H.264 packetizer (RFC 6184, mode 1)', () => {
  test('round trip through the depacketizer: STAP-A for small units, FU-A for large, single NAL otherwise', () => {
    const packetizer = new H264Packetizer(1200);
    const sps = nal(7, 12);
    const pps = nal(8, 4);
    const sei = nal(6, 30);
    const idr = nal(5, 5000, 5);
    const slice = nal(1, 1190, 2);
    const payloads = packetizer.packetize([sps, pps, sei, idr, slice]);
    assert.equal(payloads[0]![0]! & 0x1f, 24, 'SPS, PPS and SEI in one STAP-A');
    assert.equal(payloads[1]![0]! & 0x1f, 28, 'the IDR slice in FU-A fragments');
    assert.equal(payloads.at(-1)![0]! & 0x1f, 1, 'a unit that fits alone goes alone');
    for (const payload of payloads) assert.ok(payload.length <= 1200, `payload of ${payload.length} bytes`);
    const depacketizer = new H264Depacketizer(1 << 20, (problem) => assert.fail(problem));
    const units = packets(payloads, 9000, 65530).flatMap((packet) => depacketizer.push(packet));
    assert.equal(units.length, 1);
    assert.equal(units[0]!.damaged, false);
    assert.deepEqual(units[0]!.nals, [sps, pps, sei, idr, slice]);
  });

  test('FU-A keeps F and NRI of the unit; every size up to a few packets comes back whole', () => {
    const packetizer = new H264Packetizer(200);
    for (let size = 190; size < 700; size += 37) {
      const unit = Buffer.concat([Buffer.of(0x45), Buffer.alloc(size - 1, size & 0xff)]);
      const payloads = packetizer.packetize([unit]);
      if (size > 200) assert.equal(payloads[0]![0], 0x40 | 28);
      const depacketizer = new H264Depacketizer(1 << 20);
      const [picture] = packets(payloads, 1, 7).flatMap((p) => depacketizer.push(p));
      assert.deepEqual(picture!.nals, [unit], `${size} bytes`);
    }
  });

  test('keyframes get the avcC parameter sets unless they carry their own; AUDs are left out', () => {
    const sps = nal(7, 10);
    const pps = nal(8, 4);
    const sets = { sps: [sps], pps: [pps] };
    const aud = Buffer.of(0x09, 0xf0);
    const idr = nal(5, 100);
    const p = nal(1, 50);
    const units = (...args: Parameters<typeof pictureNals>) =>
      pictureNals(...args).map((u) => Buffer.from(u));
    assert.deepEqual(units(joinAvcc([aud, idr]), 4, true, sets), [sps, pps, idr]);
    assert.deepEqual(units(joinAvcc([sps, pps, idr]), 4, true, sets), [sps, pps, idr]);
    assert.deepEqual(units(joinAvcc([p]), 4, false, sets), [p]);
    assert.deepEqual(units(joinAvcc([idr]), 4, true), [idr], 'no avcC known: sent as is');
  });
});

describe('VP8 packetizer (RFC 7741)', () => {
  test('a frame is cut behind descriptors with S on the first packet and one PictureID per frame', () => {
    const packetizer = new Vp8Packetizer(500, 0x7fff);
    const frame = Buffer.from(Array.from({ length: 1800 }, (_, i) => i & 0xff));
    const payloads = packetizer.packetize(frame);
    assert.equal(payloads.length, 4);
    const parsed = payloads.map((payload) => Vp8RtpPayload.deSerialize(payload));
    assert.deepEqual(
      parsed.map((p) => [p.sBit, p.pid, p.pictureId]),
      [
        [1, 0, 0x7fff],
        [0, 0, 0x7fff],
        [0, 0, 0x7fff],
        [0, 0, 0x7fff],
      ],
    );
    assert.deepEqual(Buffer.concat(parsed.map((p) => p.payload)), frame);
    const [next] = packetizer
      .packetize(Buffer.of(1, 2, 3))
      .map((payload) => Vp8RtpPayload.deSerialize(payload));
    assert.equal(next!.pictureId, 0, 'the PictureID wraps at 15 bits');
    assert.deepEqual(next!.payload, Buffer.of(1, 2, 3));
  });
});
