import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AudioCodec, AudioTrack, Frame } from '../../core/index.js';
import { createLogger } from '../../core/log.js';
import { LogCapture } from '../../test/helpers/log.js';
import type { AudioTranscoder, AudioTranscoderFactory, AudioTranscoderOptions } from './audio-transcoder.js';
import { ConvertedAudio, MAX_TRANSCODER_RESTARTS } from './converted-audio.js';

const opus: AudioTrack = {
  id: 2,
  kind: 'audio',
  codec: 'opus',
  timescale: 48000,
  sampleRate: 48000,
  channels: 2,
  config: new Uint8Array([1]),
};

/** A transcoder that echoes frames; `fail()` makes the current instance report an error. */
class EchoFactory implements AudioTranscoderFactory {
  readonly opened: AudioTranscoderOptions[] = [];
  supports(from: AudioCodec, to: AudioCodec): boolean {
    return from === 'opus' && to === 'aac';
  }
  open(options: AudioTranscoderOptions): AudioTranscoder {
    this.opened.push(options);
    return {
      output: { ...options.input, codec: options.to, config: new Uint8Array([0x12, 0x10]) },
      push: (frame) => options.onFrame(frame),
      close: () => Promise.resolve(),
      abort: () => undefined,
    };
  }
  fail(): void {
    this.opened.at(-1)!.onError(new Error('helper died'));
  }
}

const frame = (pts: number): Frame => ({
  trackId: 2,
  data: new Uint8Array([pts]),
  pts,
  dts: pts,
  keyframe: true,
  arrivalMs: 0,
});

/** Opus → AAC through an EchoFactory, keeping the pts written and the errors (fatal or not) reported. */
function echoConversion() {
  const factory = new EchoFactory();
  const written: number[] = [];
  const errors: boolean[] = [];
  const converted = new ConvertedAudio({
    input: opus,
    to: 'aac',
    factory,
    log: createLogger({ level: 'silent', pretty: 'false', destination: new LogCapture() }),
    onFrame: (f) => written.push(f.pts),
    onError: (_error, fatal) => errors.push(fatal),
  });
  return { factory, written, errors, converted };
}

describe('ConvertedAudio', () => {
  test('restarts a failed transcoder, never lets time go backwards, and gives up after the limit', () => {
    const { factory, written, errors, converted } = echoConversion();
    assert.equal(converted.output.id, opus.id);
    converted.push(frame(10));
    converted.push(frame(20));
    factory.fail();
    converted.push(frame(15)); // a restarted helper must not rewind the file's audio
    converted.push(frame(30));
    for (let i = 1; i < MAX_TRANSCODER_RESTARTS; i++) factory.fail();
    assert.deepEqual(errors, Array<boolean>(MAX_TRANSCODER_RESTARTS).fill(false));
    factory.fail();
    assert.deepEqual(errors.at(-1), true);
    converted.push(frame(40));
    assert.deepEqual(written, [10, 20, 30]);
    assert.equal(factory.opened.length, MAX_TRANSCODER_RESTARTS + 1);
  });

  test('a transcoder failing while it finishes is not replaced: the close ends, one error is counted', async () => {
    const { factory, errors, converted } = echoConversion();
    converted.push(frame(10));
    const closing = converted.close();
    factory.fail(); // e.g. "ffmpeg did not finish within closeTimeoutMs"
    await closing;
    assert.equal(factory.opened.length, 1, 'no new transcoder after the input ended');
    assert.deepEqual(errors, [false]);
    await converted.close(); // and a second close is a no-op
  });
});
