/**
 * The TS building blocks against bytes ffmpeg's own mpegts muxer writes (captured from `ffmpeg -f mpegts`,
 * which uses the same PIDs, program number and 1.4 s / 0.7 s timestamp offsets) and against parsing them back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePackets, pesStart } from './ts-scan.js';
import {
  AUDIO_PID,
  ContinuityCounters,
  PACKET_BYTES,
  PAT_PID,
  STREAM_ID_AUDIO,
  STREAM_ID_VIDEO,
  STREAM_TYPE_AAC_ADTS,
  STREAM_TYPE_H264,
  VIDEO_PID,
  crc32Mpeg2,
  patSection,
  pesHeader,
  pesPackets,
  pmtSection,
  psiPacket,
  readTimestamp,
  wrapTimestamp,
} from './ts-packets.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replaceAll(' ', ''), 'hex'));

describe('PSI', () => {
  test('CRC-32/MPEG-2 gives the catalogued check value for "123456789"', () => {
    assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
  });

  test("the PAT equals ffmpeg's, CRC included (2a b1 04 b2)", () => {
    assert.equal(hex(patSection()), '00b00d0001c100000001f0002ab104b2');
  });

  test("the PMT for H.264 + AAC equals ffmpeg's, CRC included (2f 44 b9 9b)", () => {
    const pmt = pmtSection(
      [
        { pid: VIDEO_PID, streamType: STREAM_TYPE_H264 },
        { pid: AUDIO_PID, streamType: STREAM_TYPE_AAC_ADTS },
      ],
      VIDEO_PID,
    );
    assert.equal(hex(pmt), '02b0170001c10000e100f0001be100f0000fe101f0002f44b99b');
  });

  test('a PSI packet: header, pointer field, section, 0xFF filler; the continuity counter advances', () => {
    const counters = new ContinuityCounters();
    const first = psiPacket(PAT_PID, patSection(), counters);
    const second = psiPacket(PAT_PID, patSection(), counters);
    assert.equal(first.length, PACKET_BYTES);
    assert.equal(hex(first.subarray(0, 5)), '4740001000');
    assert.equal(hex(second.subarray(0, 4)), '47400011');
    assert.equal(hex(first.subarray(5, 21)), hex(patSection()));
    assert.ok(first.subarray(21).every((byte) => byte === 0xff));
  });
});

describe('PES', () => {
  test("a video PES header with PTS and DTS equals ffmpeg's (PTS 132000, DTS 126000, unbounded)", () => {
    const header = pesHeader(STREAM_ID_VIDEO, 70_000, 132_000, 126_000);
    assert.equal(hex(header), hex(fromHex('000001e0 0000 80 c0 0a 3100090741 110007d861')));
  });

  test("an audio PES header with PTS only equals ffmpeg's (PTS 129910, 2653 bytes long)", () => {
    const header = pesHeader(STREAM_ID_AUDIO, 2653 - 8, 129_910);
    assert.equal(hex(header), hex(fromHex('000001c0 0a5d 80 80 05 210007f6ed')));
  });

  test('DTS is left out when it equals PTS; the length is set whenever it fits in 16 bits', () => {
    const header = pesHeader(STREAM_ID_VIDEO, 1000, 5000, 5000);
    assert.equal(header.length, 14);
    assert.equal(header[7], 0x80);
    assert.equal((header[4]! << 8) | header[5]!, 8 + 1000);
    assert.equal(
      pesHeader(STREAM_ID_VIDEO, 65_535 - 13, 0, 1)
        .subarray(4, 6)
        .join(),
      '255,255',
    );
    assert.equal(
      pesHeader(STREAM_ID_VIDEO, 65_535 - 12, 0, 1)
        .subarray(4, 6)
        .join(),
      '0,0',
    );
  });

  test('timestamps round-trip over the whole 33-bit range and wrap negative values', () => {
    for (const value of [0, 1, 126_000, 2 ** 30 - 1, 2 ** 30, 2 ** 32 + 12345, 2 ** 33 - 1]) {
      const header = pesHeader(STREAM_ID_VIDEO, 0, value, value - 3003);
      assert.equal(readTimestamp(header, 9), value, `PTS ${value}`);
      assert.equal(readTimestamp(header, 14), wrapTimestamp(value - 3003), `DTS ${value - 3003}`);
    }
    assert.equal(wrapTimestamp(-1), 2 ** 33 - 1);
    assert.equal(wrapTimestamp(2 ** 33 + 5), 5);
  });

  test('the first packet of a keyframe carries random_access_indicator and the PCR as ffmpeg writes them', () => {
    const packets = pesPackets(VIDEO_PID, [new Uint8Array(500)], new ContinuityCounters(), {
      randomAccess: true,
      pcr: 63_000,
    });
    assert.equal(hex(packets.subarray(0, 12)), '4741003007500000' + '7b0c7e00');
  });

  test('any PES length packs into whole packets and reads back byte for byte', () => {
    const counters = new ContinuityCounters();
    let expectedCounter = 0;
    for (const size of [1, 100, 169, 170, 171, 175, 176, 177, 182, 183, 184, 185, 367, 368, 369, 5000]) {
      for (const options of [
        { randomAccess: false },
        { randomAccess: true },
        { randomAccess: true, pcr: 1 },
      ]) {
        const pes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff);
        const out = pesPackets(AUDIO_PID, [pes.subarray(0, 3), pes.subarray(3)], counters, options);
        assert.equal(out.length % PACKET_BYTES, 0);
        const packets = parsePackets(out, 0);
        const payload = Buffer.concat(packets.map((packet) => packet.payload));
        assert.equal(hex(payload), hex(pes), `${size} bytes, ${JSON.stringify(options)}`);
        packets.forEach((packet, i) => {
          assert.equal(packet.pid, AUDIO_PID);
          assert.equal(packet.unitStart, i === 0);
          assert.equal(out[packet.offset + 3]! & 0x0f, expectedCounter, 'continuity counter');
          expectedCounter = (expectedCounter + 1) & 0x0f;
        });
        if (!options.randomAccess && size <= 184) {
          // One packet: 184 payload bytes fill it; 183 need a 1-byte adaptation field (length 0);
          // fewer need its flags byte (0) and stuffing.
          const fieldBytes = 184 - size;
          assert.equal(out[3]! >> 4, fieldBytes === 0 ? 0x1 : 0x3, `${size} bytes: adaptation_field_control`);
          if (fieldBytes > 0) assert.equal(out[4], fieldBytes - 1, `${size} bytes: adaptation_field_length`);
          if (fieldBytes > 1) assert.equal(out[5], 0x00, `${size} bytes: no flags`);
        }
      }
    }
  });

  test('a PES start is found again with its PTS, DTS and declared length', () => {
    const header = pesHeader(STREAM_ID_VIDEO, 300, 132_000, 126_000);
    const packets = parsePackets(
      pesPackets(VIDEO_PID, [header, new Uint8Array(300)], new ContinuityCounters(), { randomAccess: true }),
      1880,
    );
    assert.deepEqual(pesStart(packets[0]!), {
      offset: 1880,
      pid: VIDEO_PID,
      streamId: STREAM_ID_VIDEO,
      pts: 132_000,
      dts: 126_000,
      declaredBytes: 13 + 300,
    });
    assert.equal(pesStart(packets[1]!), undefined);
  });
});
