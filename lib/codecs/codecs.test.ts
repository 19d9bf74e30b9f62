import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ffmpeg } from '../../test/helpers/media-tools.js';
import { aacCodecString, buildAudioSpecificConfig, parseAudioSpecificConfig } from './aac.js';
import { buildOpusHead, opusPacketSamples, parseOpusHead } from './opus.js';
import {
  NAL_TYPE,
  avcCodecString,
  buildAvcC,
  joinAvcc,
  nalType,
  parseAvcC,
  parseSps,
  splitAnnexB,
  splitAvcc,
} from './h264.js';

async function encodeH264(size: string, profile: string): Promise<Uint8Array> {
  const { stdout } = await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', '3',
    '-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', 'yuv420p', '-f', 'h264', '-',
  ]); // prettier-ignore
  return new Uint8Array(stdout);
}

describe('H.264', () => {
  for (const [size, profile, profileIdc] of [
    ['640x360', 'baseline', 66],
    ['1280x720', 'high', 100],
    ['854x480', 'main', 77],
  ] as const) {
    test(`SPS of a real ${profile} ${size} stream gives its size; avcC round-trips`, async () => {
      const units = splitAnnexB(await encodeH264(size, profile));
      const sps = units.filter((u) => nalType(u) === NAL_TYPE.SPS);
      const pps = units.filter((u) => nalType(u) === NAL_TYPE.PPS);
      assert.equal(sps.length, 1);
      assert.ok(units.some((u) => nalType(u) === NAL_TYPE.IDR));
      const info = parseSps(sps[0]!);
      assert.equal(`${info.width}x${info.height}`, size);
      assert.equal(info.profile, profileIdc);
      const record = parseAvcC(buildAvcC(sps, pps));
      assert.deepEqual([record.sps[0], record.pps[0], record.lengthSize], [sps[0], pps[0], 4]);
      assert.match(avcCodecString(record), new RegExp(`^avc1\\.${profileIdc.toString(16)}`));
    });
  }

  test('AVCC splitting and joining are inverse; overruns are refused', () => {
    const units = [Uint8Array.of(0x65, 1, 2, 3), Uint8Array.of(0x06, 9)];
    const avcc = joinAvcc(units);
    assert.deepEqual(splitAvcc(avcc), units);
    assert.throws(() => splitAvcc(avcc.subarray(0, avcc.length - 1)), /overruns/);
    assert.throws(() => parseAvcC(Uint8Array.of(1, 66, 0, 30, 0xff, 0xe1, 0, 40)), /truncated/);
    assert.throws(() => parseAvcC(Uint8Array.of(0, 1, 2)), /not an avcC/);
  });
});

describe('AAC', () => {
  test('AudioSpecificConfig round-trips and parses what ffmpeg writes', async () => {
    const config = parseAudioSpecificConfig(buildAudioSpecificConfig(44100, 2));
    assert.deepEqual(config, { objectType: 2, sampleRate: 44100, channels: 2, samplesPerFrame: 1024 });
    assert.equal(aacCodecString(config), 'mp4a.40.2');
    // ffmpeg's AAC encoder, 48 kHz mono: ASC 0x11 0x88
    assert.deepEqual(parseAudioSpecificConfig(Uint8Array.of(0x11, 0x88)), {
      objectType: 2,
      sampleRate: 48000,
      channels: 1,
      samplesPerFrame: 1024,
    });
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x16, 0x88)), /sample rate index/);
  });
});

describe('Opus', () => {
  test('packet durations come from the TOC byte', () => {
    // config 31 (CELT 20 ms), code 0: one frame of 960 samples.
    assert.equal(opusPacketSamples(new Uint8Array([(31 << 3) | 0, 0])), 960);
    // config 1 (SILK 20 ms), code 1: two frames.
    assert.equal(opusPacketSamples(new Uint8Array([(1 << 3) | 1, 0])), 1920);
    // config 16 (CELT 2.5 ms), code 3 with 4 frames.
    assert.equal(opusPacketSamples(new Uint8Array([(16 << 3) | 3, 4])), 480);
    assert.equal(opusPacketSamples(new Uint8Array([])), 0);
  });

  test('OpusHead round-trips', () => {
    const head = buildOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48000 });
    assert.equal(head.length, 19);
    assert.deepEqual(parseOpusHead(head), { channels: 2, preSkip: 312, inputSampleRate: 48000 });
    assert.throws(() => parseOpusHead(new Uint8Array(19)), /not an OpusHead/);
  });
});
