import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AacDepacketizer, auHeaderLayout } from './aac-depacketizer.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import type { RtpPacket } from './rtp.js';
import { parseRtp } from './rtp.js';
import { rtp } from '../../test/helpers/ingest-rtsp/fake-camera.js';

let sequence = 100;
const packet = (timestamp: number, payload: Buffer, marker = false, seq = ++sequence): RtpPacket => ({
  payloadType: 96,
  marker,
  sequence: seq & 0xffff,
  timestamp,
  ssrc: 1,
  payload,
});
const nal = (type: number, size: number, fill = 1) =>
  Buffer.concat([Buffer.of(0x60 | type), Buffer.alloc(size - 1, fill)]);
const fu = (type: number, part: Buffer, start: boolean, end: boolean) =>
  Buffer.concat([Buffer.of(0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type), part]);

describe('H.264 depacketizer (RFC 6184)', () => {
  test('single NAL units, STAP-A and FU-A make whole pictures at the marker bit', () => {
    const problems: string[] = [];
    const d = new H264Depacketizer(1 << 20, (what) => problems.push(what));
    const sps = nal(7, 10);
    const pps = nal(8, 4);
    const stap = Buffer.concat([Buffer.of(24), Buffer.of(0, sps.length), sps, Buffer.of(0, pps.length), pps]);
    const idr = nal(5, 3001, 5);
    assert.deepEqual(d.push(packet(3000, stap)), []);
    assert.deepEqual(d.push(packet(3000, fu(5, idr.subarray(1, 1500), true, false))), []);
    const [picture] = d.push(packet(3000, fu(5, idr.subarray(1500), false, true), true));
    assert.equal(picture!.timestamp, 3000);
    assert.equal(picture!.damaged, false);
    assert.deepEqual(picture!.nals, [sps, pps, Buffer.concat([Buffer.of(0x65), idr.subarray(1)])]);
    const [p] = d.push(packet(6000, nal(1, 50), true));
    assert.deepEqual([p!.timestamp, p!.nals.length, p!.damaged], [6000, 1, false]);
    assert.deepEqual(problems, []);
  });

  test('a timestamp change ends a picture when the camera never sets the marker', () => {
    const d = new H264Depacketizer(1 << 20);
    assert.deepEqual(d.push(packet(1, nal(1, 10))), []);
    assert.deepEqual(
      d.push(packet(2, nal(1, 10))).map((u) => u.timestamp),
      [1],
    );
  });

  test('a lost packet marks the picture damaged; oversized pictures and bad packets are reported', () => {
    const problems: string[] = [];
    const d = new H264Depacketizer(1000, (what) => problems.push(what));
    d.push(packet(10, fu(5, Buffer.alloc(400), true, false)));
    sequence++; // the middle fragment is lost
    const [lost] = d.push(packet(10, fu(5, Buffer.alloc(400), false, true), true));
    assert.equal(lost!.damaged, true);
    const [big] = d.push(packet(20, nal(1, 1500), true));
    assert.equal(big!.damaged, true);
    assert.deepEqual(d.push(packet(30, Buffer.of(24, 0, 9, 1), true))[0]!.damaged, true);
    d.push(packet(40, Buffer.of(0x7c), true));
    d.push(packet(50, Buffer.of(26, 0, 0), true));
    assert.deepEqual(problems, [
      'H.264 picture over 1000 bytes',
      'STAP-A unit overruns its packet',
      'FU-A packet cut short',
      'unsupported H.264 packet type 26 (interleaved mode is not supported)',
    ]);
  });

  test('parseRtp reads padding, CSRCs and extensions, and refuses truncated packets', () => {
    const base = rtp(96, 7, 1234, true, Buffer.from('abc'));
    assert.deepEqual(
      (({ payloadType, marker, sequence, timestamp, payload }) => [
        payloadType,
        marker,
        sequence,
        timestamp,
        payload.toString(),
      ])(parseRtp(base)!),
      [96, true, 7, 1234, 'abc'],
    );
    const padded = Buffer.concat([base, Buffer.of(0, 0, 3)]);
    padded[0] = padded[0]! | 0x20;
    assert.equal(parseRtp(padded)!.payload.toString(), 'abc');
    const extended = Buffer.concat([
      base.subarray(0, 12),
      Buffer.of(0xbe, 0xde, 0, 1, 1, 2, 3, 4),
      Buffer.from('xyz'),
    ]);
    extended[0] = extended[0]! | 0x10;
    assert.equal(parseRtp(extended)!.payload.toString(), 'xyz');
    assert.equal(parseRtp(base.subarray(0, 11)), undefined);
    const lying = Buffer.from(extended.subarray(0, 14));
    assert.equal(parseRtp(lying), undefined, 'extension header cut off');
    assert.equal(parseRtp(Buffer.alloc(20)), undefined, 'version 0');
  });
});

describe('AAC depacketizer (RFC 3640, AAC-hbr)', () => {
  const layout = auHeaderLayout(
    new Map([
      ['sizelength', '13'],
      ['indexlength', '3'],
      ['indexdeltalength', '3'],
    ]),
  );
  const headers = (sizes: number[]) => {
    const bits = sizes.length * 16;
    const out = Buffer.alloc(2 + sizes.length * 2);
    out.writeUInt16BE(bits, 0);
    sizes.forEach((size, i) => out.writeUInt16BE(size << 3, 2 + i * 2));
    return out;
  };

  test('several frames in one packet step by 1024 samples', () => {
    const d = new AacDepacketizer(layout, 1024, 1 << 16);
    const payload = Buffer.concat([headers([3, 2]), Buffer.from('abcde')]);
    const frames = d.push(packet(4294967000, payload, true));
    assert.deepEqual(
      frames.map((f) => [f.timestamp, f.data.toString()]),
      [
        [4294967000, 'abc'],
        [(4294967000 + 1024) % 2 ** 32, 'de'],
      ],
    );
  });

  test('a frame fragmented over packets, and a fragment whose start was lost', () => {
    const problems: string[] = [];
    const d = new AacDepacketizer(layout, 1024, 1 << 16, (what) => problems.push(what));
    assert.deepEqual(d.push(packet(0, Buffer.concat([headers([6]), Buffer.from('abc')]))), []);
    const [frame] = d.push(packet(0, Buffer.concat([headers([6]), Buffer.from('def')]), true));
    assert.equal(frame!.data.toString(), 'abcdef');
    d.push(packet(1024, Buffer.concat([headers([6]), Buffer.from('abc')])));
    sequence++;
    assert.deepEqual(d.push(packet(1024, Buffer.concat([headers([6]), Buffer.from('def')]), true)), []);
    assert.deepEqual(problems, ['AAC fragments do not add up to the size in their AU header']);
  });

  test('malformed packets are reported, not thrown', () => {
    const problems: string[] = [];
    const d = new AacDepacketizer(layout, 1024, 100, (what) => problems.push(what));
    d.push(packet(0, Buffer.of(0)));
    d.push(packet(0, Buffer.of(0xff, 0xff, 1)));
    d.push(packet(0, Buffer.of(0, 0)));
    d.push(packet(0, Buffer.concat([headers([3, 9]), Buffer.from('abcde')]), true));
    d.push(packet(0, Buffer.concat([headers([500]), Buffer.from('abc')]), true));
    assert.deepEqual(problems, [
      'MPEG4-GENERIC packet cut short',
      'AU headers overrun the packet',
      'MPEG4-GENERIC packet without an AU header',
      'AAC access unit overruns its packet',
      'AAC frame over 100 bytes',
    ]);
    assert.throws(
      () =>
        auHeaderLayout(
          new Map([
            ['sizelength', '13'],
            ['ctsdeltalength', '2'],
          ]),
        ),
      /ctsdeltalength/,
    );
  });
});
