import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FLV_AUDIO, FLV_SCRIPT, FLV_VIDEO } from './tags.js';
import { parseFlvTag } from './parse.js';
import { FFMPEG_ASC, FFMPEG_AVCC, amf0Value, metadataTag } from '../../test/helpers/rtmp-ingest.js';

describe('FLV tag bodies', () => {
  test('H.264: sequence header, key and inter frames, signed composition time, end of sequence', () => {
    const config = parseFlvTag(FLV_VIDEO, 0, Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), FFMPEG_AVCC]));
    assert.equal(config.kind, 'avc-config');
    assert.deepEqual(config.kind === 'avc-config' && Buffer.from(config.config), FFMPEG_AVCC);

    const key = parseFlvTag(FLV_VIDEO, 40, Buffer.from([0x17, 1, 0, 0, 67, 0, 0, 0, 1, 0x65]));
    assert.deepEqual(key, {
      kind: 'avc-nalu',
      timeMs: 40,
      ctsMs: 67,
      keyframe: true,
      data: Uint8Array.of(0, 0, 0, 1, 0x65),
    });
    const inter = parseFlvTag(FLV_VIDEO, 1000, Buffer.from([0x27, 1, 0xff, 0xff, 0xdf, 0, 0, 0, 1, 0x41]));
    assert.equal(inter.kind === 'avc-nalu' && inter.ctsMs, -33, 'CTS ff ff df is -33 ms, not 16777183');
    assert.equal(inter.kind === 'avc-nalu' && inter.keyframe, false);
    assert.deepEqual(parseFlvTag(FLV_VIDEO, 5, Buffer.from([0x17, 2, 0, 0, 0])), {
      kind: 'avc-end',
      timeMs: 5,
    });
  });

  test('AAC: sequence header and raw frames', () => {
    const config = parseFlvTag(FLV_AUDIO, 0, Buffer.concat([Buffer.from([0xaf, 0]), FFMPEG_ASC]));
    assert.deepEqual(config, { kind: 'aac-config', timeMs: 0, config: new Uint8Array(FFMPEG_ASC) });
    assert.deepEqual(parseFlvTag(FLV_AUDIO, 23, Buffer.from([0xaf, 1, 0xde, 0x02])), {
      kind: 'aac-raw',
      timeMs: 23,
      data: Uint8Array.of(0xde, 0x02),
    });
  });

  test('reads only the message out of a longer, reused parser buffer, and copies it', () => {
    const parserBuffer = Buffer.alloc(64, 0x77);
    Buffer.from([0xaf, 1, 1, 2, 3]).copy(parserBuffer);
    const packet = parseFlvTag(FLV_AUDIO, 0, parserBuffer, 5);
    assert.ok(packet.kind === 'aac-raw');
    assert.deepEqual(packet.data, Uint8Array.of(1, 2, 3));
    parserBuffer.fill(0); // the next message overwrites the parser's buffer
    assert.deepEqual(packet.data, Uint8Array.of(1, 2, 3));
  });

  test('other codecs are ignored with a name; truncated tags are malformed, never thrown', () => {
    const reason = (type: number, bytes: number[]) => {
      const packet = parseFlvTag(type, 0, Buffer.from(bytes));
      return `${packet.kind}: ${'reason' in packet ? packet.reason : ''}`;
    };
    assert.equal(reason(FLV_AUDIO, [0x2f, 0xff]), 'ignored: audio codec MP3');
    assert.equal(reason(FLV_VIDEO, [0x1c, 0, 0, 0, 0]), 'ignored: video codec HEVC (legacy id 12)');
    assert.equal(reason(FLV_VIDEO, [0x90, 0x68, 0x76, 0x63, 0x31]), 'ignored: enhanced RTMP video ("hvc1")');
    assert.equal(reason(FLV_VIDEO, [0x17, 1, 0]), 'malformed: H.264 tag of 3 bytes');
    assert.equal(reason(FLV_VIDEO, []), 'malformed: empty video tag');
    assert.equal(reason(FLV_AUDIO, [0xaf]), 'malformed: AAC tag without AACPacketType');
    assert.equal(reason(FLV_AUDIO, [0xaf, 7]), 'malformed: AACPacketType 7');
    assert.equal(reason(FLV_VIDEO, [0x17, 9, 0, 0, 0]), 'malformed: AVCPacketType 9');
    assert.equal(reason(15, [1]), 'ignored: RTMP message type 15');
  });

  test('onMetaData: what the publisher announces; garbage is malformed', () => {
    const tag = metadataTag({
      width: 640,
      height: 360,
      videocodecid: 7,
      audiocodecid: 10,
      encoder: 'Lavf58',
    });
    const packet = parseFlvTag(FLV_SCRIPT, 0, tag);
    assert.ok(packet.kind === 'metadata');
    assert.deepEqual(
      { ...packet.metadata },
      {
        width: 640,
        height: 360,
        videocodecid: 7,
        audiocodecid: 10,
        encoder: 'Lavf58',
      },
    );
    assert.equal(parseFlvTag(FLV_SCRIPT, 0, tag.subarray(0, tag.length - 4)).kind, 'malformed');
    assert.equal(parseFlvTag(FLV_SCRIPT, 0, Buffer.from([0x42, 1, 2])).kind, 'malformed');
    assert.equal(parseFlvTag(FLV_SCRIPT, 0, amf0Value('onCuePoint')).kind, 'ignored');
    const deep = Buffer.concat([amf0Value('onMetaData'), Buffer.alloc(100, 0x0a), Buffer.alloc(400, 0)]);
    assert.equal(parseFlvTag(FLV_SCRIPT, 0, deep).kind, 'malformed', 'nesting is bounded');
  });
});
