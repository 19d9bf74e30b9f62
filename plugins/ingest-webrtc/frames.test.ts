import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { h264, opus } from '../../lib/codecs/index.js';
import { ffmpeg } from '../../test/helpers/media-tools.js';
import { H264Converter, OpusConverter, Vp8Converter } from './frames.js';

/** AVCC pictures (what the track receiver gives) of a short libx264 baseline encode. */
async function h264Frames(size: string): Promise<Uint8Array[]> {
  const { stdout } = await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', '3',
    '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-f', 'h264', '-',
  ]); // prettier-ignore
  const frames: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  for (const unit of h264.splitAnnexB(new Uint8Array(stdout))) {
    current.push(unit);
    const type = h264.nalType(unit);
    if (type === h264.NAL_TYPE.IDR || type === h264.NAL_TYPE.NON_IDR) {
      frames.push(current);
      current = [];
    }
  }
  return frames.map((units) => h264.joinAvcc(units));
}

/** VP8 frames of a short libvpx encode (IVF: 32-byte file header, 12-byte frame headers). */
async function vp8Frames(size: string): Promise<Uint8Array[]> {
  const { stdout } = await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', '3', '-c:v', 'libvpx', '-f', 'ivf', '-',
  ]); // prettier-ignore
  const frames: Uint8Array[] = [];
  for (let offset = 32; offset + 12 <= stdout.length;) {
    const size = stdout.readUInt32LE(offset);
    frames.push(new Uint8Array(stdout.subarray(offset + 12, offset + 12 + size)));
    offset += 12 + size;
  }
  return frames;
}

describe('H.264 frames (AVCC)', () => {
  test('the avcC and size come from the in-band SPS/PPS; parameter sets stay in the keyframe', async () => {
    const [key, inter] = await h264Frames('320x240');
    const converter = new H264Converter();
    assert.deepEqual(converter.convert(inter!), { unusable: 'H.264 frame before the first keyframe' });
    const first = converter.convert(key!);
    assert.ok(!('unusable' in first));
    assert.equal(first.keyframe, true);
    assert.deepEqual([first.track?.width, first.track?.height, first.track?.codec], [320, 240, 'h264']);
    const avcC = h264.parseAvcC(first.track!.config!);
    const units = h264.splitAvcc(first.data);
    assert.deepEqual(
      avcC.sps[0],
      units.find((u) => h264.nalType(u) === h264.NAL_TYPE.SPS),
    );
    assert.ok(units.some((u) => h264.nalType(u) === h264.NAL_TYPE.IDR));
    const next = converter.convert(inter!);
    assert.ok(!('unusable' in next) && !next.keyframe && next.track === undefined);
    // The same parameter sets again: no new track.
    const again = converter.convert(key!);
    assert.ok(!('unusable' in again) && again.track === undefined);
  });

  test('a new resolution (new SPS) gives a new track; a keyframe cut from its SPS is not a start', async () => {
    const [small] = await h264Frames('320x240');
    const [large] = await h264Frames('640x360');
    const converter = new H264Converter();
    const idrOnly = h264.splitAvcc(small!).filter((u) => h264.nalType(u) === h264.NAL_TYPE.IDR);
    assert.deepEqual(converter.convert(h264.joinAvcc(idrOnly)), {
      unusable: 'H.264 keyframe without SPS/PPS',
    });
    converter.convert(small!);
    const bigger = converter.convert(large!);
    assert.ok(!('unusable' in bigger));
    assert.deepEqual([bigger.track?.width, bigger.track?.height], [640, 360]);
    assert.deepEqual(converter.convert(h264.joinAvcc([Uint8Array.of(9, 0xf0)])), {
      unusable: 'empty H.264 frame',
    });
  });
});

describe('VP8 frames', () => {
  test('a keyframe gives the picture size; inter frames follow; a cut keyframe is refused', async () => {
    const [key, inter] = await vp8Frames('320x240');
    const converter = new Vp8Converter();
    assert.deepEqual(converter.convert(inter!), { unusable: 'VP8 frame before the first keyframe' });
    const first = converter.convert(key!);
    assert.ok(!('unusable' in first));
    assert.deepEqual([first.keyframe, first.track?.width, first.track?.height], [true, 320, 240]);
    assert.equal(first.data, key);
    const next = converter.convert(inter!);
    assert.ok(!('unusable' in next) && !next.keyframe && next.track === undefined);
    assert.match((converter.convert(key!.subarray(0, 5)) as { unusable: string }).unusable, /start code/);
  });
});

describe('Opus packets', () => {
  test('the track is stereo from the start and never changes, whatever the packets code', () => {
    const converter = new OpusConverter();
    assert.deepEqual(opus.parseOpusHead(converter.track.config!), {
      channels: 2,
      preSkip: 0,
      inputSampleRate: 48000,
    });
    const mono = Uint8Array.of(0x78, 1, 2);
    const stereo = Uint8Array.of(0x7c, 1, 2);
    const first = converter.convert(mono);
    assert.deepEqual(first, { data: mono, keyframe: true, track: converter.track });
    assert.deepEqual(converter.convert(stereo), { data: stereo, keyframe: true, track: undefined });
    assert.deepEqual(converter.convert(mono), { data: mono, keyframe: true, track: undefined });
    assert.deepEqual(converter.convert(new Uint8Array(0)), { unusable: 'empty Opus packet' });
  });
});
