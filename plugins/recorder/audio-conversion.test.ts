import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AudioCodec, AudioTrack, Track } from '../../core/index.js';
import type { AudioTranscoder, AudioTranscoderFactory, ContainerWriter } from './api.js';
import { planTracks } from './audio-conversion.js';

const h264: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: new Uint8Array([1]) };
const vp8: Track = { id: 1, kind: 'video', codec: 'vp8', timescale: 90000, width: 640, height: 360 };
const opus: AudioTrack = {
  id: 2,
  kind: 'audio',
  codec: 'opus',
  timescale: 48000,
  sampleRate: 48000,
  channels: 2,
  config: new Uint8Array([1]),
};
const aac: AudioTrack = { ...opus, codec: 'aac', timescale: 44100, sampleRate: 44100 };

function writer(container: string, audioCodecs: AudioCodec[]): ContainerWriter {
  return {
    container,
    extension: container,
    audioCodecs,
    unsupported: () => undefined,
    open: () => Promise.reject(new Error('not used')),
    finalizer: { module: '', exportName: '' },
    finalizeOptions: () => ({}),
  };
}

/** A factory that converts Opus to AAC; planTracks never opens it. */
class EchoFactory implements AudioTranscoderFactory {
  supports(from: AudioCodec, to: AudioCodec): boolean {
    return from === 'opus' && to === 'aac';
  }
  open(): AudioTranscoder {
    throw new Error('not used');
  }
}

describe('planTracks', () => {
  test('audio the container holds goes in as is', () => {
    const plan = planTracks([h264, aac], writer('mp4', ['aac']), []);
    assert.deepEqual(plan.fileTracks, [h264, aac]);
    assert.equal(plan.conversions.size, 0);
  });

  test('audio it cannot hold is converted to its first audio codec when a transcoder can', () => {
    const plan = planTracks([h264, opus], writer('mp4', ['aac']), [new EchoFactory()]);
    assert.deepEqual(plan.conversions.get(2), { input: opus, to: 'aac' });
    assert.equal(plan.fileTracks.find((t) => t.id === 2)?.codec, 'aac');
  });

  test('without a transcoder the audio is left out with the reason, the video stays', () => {
    const plan = planTracks([vp8, aac], writer('webm', ['opus']), [new EchoFactory()]);
    assert.deepEqual(plan.fileTracks, [vp8]);
    assert.match(
      plan.leftOut[0]!.reason,
      /webm records opus audio, not aac, and no transcoder converts aac to opus/,
    );
  });

  test('VP8 needs no decoder configuration; H.264 does', () => {
    const { config: _unused, ...bare } = h264;
    const plan = planTracks([vp8, bare as Track], writer('mkv', ['aac']), []);
    assert.deepEqual(plan.fileTracks, [vp8]);
    assert.match(plan.leftOut[0]!.reason, /no decoder configuration/);
  });
});
