/**
 * The elementary streams inside the TS: ADTS headers from an AudioSpecificConfig (against ffmpeg's bytes,
 * and decoded by ffmpeg) and Annex-B access units from AVCC frames (AUD, SPS/PPS before each IDR).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { aac, h264 } from '../codecs/index.js';
import { makeClip, readMediaFile, videoFrameMd5s } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { AdtsWriter } from '../codecs/adts.js';

const adtsHeaderWriter = (config: Uint8Array) => {
  const writer = new AdtsWriter(config);
  return (payloadBytes: number) => writer.header(payloadBytes);
};
import { AnnexBAccessUnits } from './h264-access-unit.js';

const tmp = new TempDir('spool-ts-es-');
after(() => tmp.cleanup());

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('ADTS', () => {
  test("the header for AAC-LC 44.1 kHz stereo equals ffmpeg's (ff f1 50 80 2a 9f fc, 340-byte frame)", () => {
    const header = adtsHeaderWriter(aac.buildAudioSpecificConfig(44_100, 2))(340 - 7);
    assert.equal(hex(header), 'fff150802a9ffc');
  });

  test('HE-AAC is signalled as AAC-LC at its core rate; types and rates ADTS cannot carry are refused', () => {
    // AOT 5 (SBR), 24 kHz core (index 6), stereo, extension 48 kHz (index 3), then AOT 2.
    const heAac = Uint8Array.of(0x2b, 0x11, 0x88, 0x00);
    assert.equal(hex(adtsHeaderWriter(heAac)(100).subarray(2, 4)), hex(Uint8Array.of(0x58, 0x80)));
    assert.throws(() => adtsHeaderWriter(aac.buildAudioSpecificConfig(48_000, 2, 23)), /object type 23/);
    // AOT 2 with an explicit 24-bit sample rate (index 15).
    assert.throws(
      () => adtsHeaderWriter(Uint8Array.of(0x17, 0x80, 0x5d, 0xc0, 0x10)),
      /explicit AAC sample rate/,
    );
    assert.throws(() => adtsHeaderWriter(aac.buildAudioSpecificConfig(44_100, 2))(8185), /too large/);
  });

  test('raw AAC frames of a real clip with these headers decode as an ADTS stream', async () => {
    const media = await readMediaFile(await makeClip({ seconds: 2, bFrames: 0, video: false }));
    const audio = media.audio!;
    const header = adtsHeaderWriter(audio.track.config!);
    const path = join(tmp.path, 'clip.aac');
    await writeFile(
      path,
      Buffer.concat(audio.frames.flatMap((frame) => [header(frame.data.length), frame.data])),
    );
    assert.equal(await decodeErrors(path), '');
    const [stream] = (await ffprobe(path)).streams;
    assert.equal(stream?.codec_name, 'aac');
    assert.equal(stream?.sample_rate, '44100');
    assert.equal(stream?.channels, 2);
  });
});

describe('Annex-B access units', () => {
  const annexB = (parts: Uint8Array[]): Uint8Array[] => h264.splitAnnexB(Buffer.concat(parts));
  const types = (parts: Uint8Array[]): number[] => annexB(parts).map(h264.nalType);

  test('AUD first; the SPS and PPS of the avcC before an IDR only; in-band ones and AUDs not doubled', async () => {
    const media = await readMediaFile(await makeClip({ seconds: 2, bFrames: 2, audio: false }));
    const { track, frames } = media.video!;
    const units = new AnnexBAccessUnits(track.config!);
    const config = h264.parseAvcC(track.config!);
    const key = frames.find((frame) => frame.keyframe)!;
    const delta = frames.find((frame) => !frame.keyframe)!;
    const keyTypes = types(units.convert(key.data, true));
    assert.deepEqual(keyTypes.slice(0, 3), [h264.NAL_TYPE.AUD, h264.NAL_TYPE.SPS, h264.NAL_TYPE.PPS]);
    assert.ok(keyTypes.includes(h264.NAL_TYPE.IDR));
    assert.equal(hex(annexB(units.convert(key.data, true))[1]!), hex(config.sps[0]!));
    const deltaTypes = types(units.convert(delta.data, false));
    assert.equal(deltaTypes[0], h264.NAL_TYPE.AUD);
    assert.ok(!deltaTypes.includes(h264.NAL_TYPE.SPS) && !deltaTypes.includes(h264.NAL_TYPE.IDR));

    const inBand = h264.joinAvcc([
      Uint8Array.of(9, 0x10),
      ...config.sps,
      ...config.pps,
      ...h264.splitAvcc(key.data),
    ]);
    const inBandTypes = types(units.convert(inBand, true));
    assert.equal(inBandTypes.filter((type) => type === h264.NAL_TYPE.SPS).length, 1);
    assert.equal(inBandTypes.filter((type) => type === h264.NAL_TYPE.AUD).length, 1);
  });

  test('a clip converted frame by frame decodes to the same pictures', async () => {
    const clip = await makeClip({ seconds: 2, bFrames: 2, audio: false });
    const { track, frames } = (await readMediaFile(clip)).video!;
    const units = new AnnexBAccessUnits(track.config!);
    const path = join(tmp.path, 'clip.h264');
    await writeFile(
      path,
      Buffer.concat(frames.flatMap((frame) => units.convert(frame.data, frame.keyframe))),
    );
    assert.equal(await decodeErrors(path), '');
    const md5s = (list: { md5: string }[]): string[] => list.map((frame) => frame.md5);
    assert.deepEqual(md5s(await videoFrameMd5s(path)), md5s(await videoFrameMd5s(clip)));
  });
});
