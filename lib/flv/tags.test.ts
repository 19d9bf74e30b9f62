import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FFMPEG_ASC, FFMPEG_AVCC } from '../../test/helpers/rtmp-ingest.js';
import { encodeAmf0 } from './amf0.js';
import { parseFlvTag } from './parse.js';
import {
  FLV_AUDIO,
  FLV_SCRIPT,
  FLV_VIDEO,
  aacAudioTag,
  aacSequenceHeaderTag,
  avcEndOfSequenceTag,
  avcSequenceHeaderTag,
  avcVideoTag,
  onMetaDataTag,
} from './tags.js';

describe('building FLV tag bodies', () => {
  test('H.264: what is built parses back, composition time signed in 24 bits', () => {
    const config = parseFlvTag(FLV_VIDEO, 0, avcSequenceHeaderTag(FFMPEG_AVCC));
    assert.ok(config.kind === 'avc-config');
    assert.deepEqual(Buffer.from(config.config), FFMPEG_AVCC);

    const unit = Uint8Array.of(0, 0, 0, 1, 0x65);
    assert.deepEqual(parseFlvTag(FLV_VIDEO, 40, avcVideoTag(unit, true, 67)), {
      kind: 'avc-nalu',
      timeMs: 40,
      ctsMs: 67,
      keyframe: true,
      data: unit,
    });
    const negative = avcVideoTag(unit, false, -33);
    assert.deepEqual([...negative.subarray(0, 5)], [0x27, 1, 0xff, 0xff, 0xdf]);
    const ctsOf = (tag: Buffer) => {
      const packet = parseFlvTag(FLV_VIDEO, 0, tag);
      return packet.kind === 'avc-nalu' ? packet.ctsMs : undefined;
    };
    assert.equal(ctsOf(negative), -33);
    assert.equal(ctsOf(avcVideoTag(unit, false, 0x7fffff)), 0x7fffff);
    assert.equal(ctsOf(avcVideoTag(unit, false, -0x800000)), -0x800000);
    assert.throws(() => avcVideoTag(unit, false, 0x800000), RangeError);
    assert.throws(() => avcVideoTag(unit, false, 1.5), RangeError);
    assert.deepEqual(parseFlvTag(FLV_VIDEO, 9, avcEndOfSequenceTag()), { kind: 'avc-end', timeMs: 9 });
  });

  test('AAC: sequence header and raw frames parse back; the header byte is 0xAF as the spec fixes it', () => {
    const header = aacSequenceHeaderTag(FFMPEG_ASC);
    assert.equal(header[0], 0xaf);
    assert.deepEqual(parseFlvTag(FLV_AUDIO, 0, header), {
      kind: 'aac-config',
      timeMs: 0,
      config: new Uint8Array(FFMPEG_ASC),
    });
    assert.deepEqual(parseFlvTag(FLV_AUDIO, 23, aacAudioTag(Uint8Array.of(0xde, 0x02))), {
      kind: 'aac-raw',
      timeMs: 23,
      data: Uint8Array.of(0xde, 0x02),
    });
  });

  test('a built tag owns its bytes', () => {
    const frame = Uint8Array.of(1, 2, 3);
    const tag = aacAudioTag(frame);
    frame.fill(0);
    assert.deepEqual([...tag], [0xaf, 1, 1, 2, 3]);
  });

  test('onMetaData with AMF0 numbers, strings, booleans, null and nested objects parses back', () => {
    const metadata = {
      width: 640,
      height: 360,
      videocodecid: 7,
      stereo: true,
      encoder: 'Spool',
      nothing: null,
      nested: { a: 1.5 },
    };
    const packet = parseFlvTag(FLV_SCRIPT, 0, onMetaDataTag(metadata));
    assert.ok(packet.kind === 'metadata');
    assert.deepEqual(JSON.parse(JSON.stringify(packet.metadata)), metadata);
  });

  test('AMF0 strings longer than 65535 bytes are long strings', () => {
    const long = 'x'.repeat(70_000);
    const bytes = encodeAmf0(long);
    assert.equal(bytes[0], 0x0c);
    assert.equal(bytes.readUInt32BE(1), 70_000);
    assert.equal(bytes.length, 5 + 70_000);
  });
});
