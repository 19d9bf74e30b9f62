/**
 * SharedConversion on a real bus with stand-in transcoders: what the derived stream carries when the
 * conversion fails for good, when the audio cannot be converted, and when the source changes its audio.
 * The real ffmpeg conversions are tested in test/converted-streams.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AudioCodec, AudioTrack, BusEvent, Frame, Track } from '../../core/index.js';
import { StreamBus } from '../../core/bus/bus.js';
import { Hooks } from '../../core/hooks.js';
import { createLogger } from '../../core/log.js';
import { createKernelMetrics } from '../../core/metrics.js';
import type {
  AudioTranscoder,
  AudioTranscoderFactory,
  AudioTranscoderOptions,
} from '../../lib/transcode/audio-transcoder.js';
import { LogCapture } from '../../test/helpers/log.js';
import { SharedConversion } from './shared-conversion.js';

const h264: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: new Uint8Array([1]) };
const aac: AudioTrack = {
  ...{ id: 2, kind: 'audio', codec: 'aac', timescale: 44100, sampleRate: 44100, channels: 2 },
  config: new Uint8Array([0x12, 0x10]),
};

/** AAC → Opus that echoes frames, or fails at every push when `failing`. */
class StandInFactory implements AudioTranscoderFactory {
  readonly opened: AudioTranscoderOptions[] = [];
  constructor(private readonly failing = false) {}
  supports(from: AudioCodec, to: AudioCodec): boolean {
    return from === 'aac' && to === 'opus';
  }
  open(options: AudioTranscoderOptions): AudioTranscoder {
    this.opened.push(options);
    // Like ffmpeg's: the output's OpusHead depends on the settings, not on the input's config.
    const output: AudioTrack = {
      ...{ ...options.input, codec: 'opus', timescale: 48000, sampleRate: 48000 },
      config: new Uint8Array([0x4f]),
    };
    return {
      output,
      push: (frame) =>
        this.failing
          ? queueMicrotask(() => options.onError(new Error('ffmpeg exited with code 1')))
          : options.onFrame({ ...frame, pts: frame.pts * 2, dts: frame.dts * 2 }),
      close: () => Promise.resolve(),
      abort: () => undefined,
    };
  }
}

const frame = (trackId: number, pts: number, keyframe = true): Frame => ({
  ...{ trackId, data: new Uint8Array([pts & 0xff]), pts, dts: pts },
  ...{ keyframe, arrivalMs: 0 },
});

async function setup(factory: AudioTranscoderFactory, tracks: Track[] = [h264, aac]) {
  const log = new LogCapture();
  const logger = createLogger({ level: 'debug', pretty: 'false', destination: log });
  const bus = new StreamBus(new Hooks(logger), logger, createKernelMetrics(), {
    playerQueueFrames: 1000,
    recorderQueueFrames: 1000,
  });
  const source = await bus.publish({
    name: 'cam',
    login: '',
    source: 'rtmp',
    record: false,
    query: {},
    tracks,
  });
  let converting = 0;
  const conversion = await SharedConversion.open({
    ...{ bus, source, name: 'converted:opus:cam', to: 'opus', factory, subscriber: 'transcoder' },
    ...{ log: logger, onConverting: (delta) => (converting += delta) },
  });
  const events: BusEvent[] = [];
  const subscription = conversion.stream.subscribe({
    name: 'player',
    role: 'player',
    startAtKeyframe: false,
  });
  void (async () => {
    for await (const event of subscription) events.push(event);
  })();
  const frames = () => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
  return { log, source, conversion, events, frames, converting: () => converting };
}

describe('SharedConversion', () => {
  test('audio that keeps failing: the stream goes on with video only, saying why; no ffmpeg counted', async () => {
    const { log, source, conversion, frames, converting } = await setup(new StandInFactory(true));
    assert.equal(converting(), 1);
    await nextTurn();
    for (let i = 0; i < 6; i++) {
      source.writeFrame(frame(1, i * 3000));
      source.writeFrame(frame(2, i * 1024));
      await nextTurn();
    }
    assert.equal(frames().length, 6, 'every video frame, no audio');
    assert.ok(frames().every((f) => f.trackId === 1));
    assert.ok(
      log.messages().some((m) => /goes on with video only: its aac audio cannot be converted/.test(m)),
    );
    assert.equal(converting(), 0);
    assert.equal(conversion.stream.ended, false);
    await source.end('publisher left');
    await conversion.ended;
    assert.equal(conversion.stream.ended, true);
  });

  test('audio no transcoder converts is left out with the reason; video passes', async () => {
    const pcma: AudioTrack = { ...aac, codec: 'pcma', timescale: 8000, sampleRate: 8000, channels: 1 };
    const { log, conversion, converting } = await setup(new StandInFactory(), [h264, pcma]);
    assert.deepEqual(
      conversion.stream.tracks.map((t) => t.codec),
      ['h264'],
    );
    assert.equal(converting(), 0);
    assert.ok(
      log
        .messages()
        .some((m) => /goes on without the pcma audio: the transcoder does not convert pcma to opus/.test(m)),
    );
    await conversion.stop('test');
  });

  test('converted audio keeps its pts (the stand-in doubles them); a new AudioSpecificConfig reopens the converter', async () => {
    const factory = new StandInFactory();
    const { source, conversion, frames, events } = await setup(factory);
    await nextTurn();
    source.writeFrame(frame(1, 0));
    source.writeFrame(frame(2, 1024));
    source.setTrack({ ...aac }); // the same config again: nothing changes
    source.setTrack({ ...aac, config: new Uint8Array([0x11, 0x90]) });
    source.writeFrame(frame(2, 2048));
    await nextTurn();
    assert.equal(factory.opened.length, 2);
    assert.deepEqual(
      frames().map((f) => [f.trackId, f.pts]),
      [
        [1, 0],
        [2, 2048],
        [2, 4096],
      ],
    );
    assert.equal(
      events.filter((e) => e.type === 'track' && e.track.id === 2).length,
      1,
      'the output track did not change',
    );
    await conversion.stop('test');
    assert.equal(conversion.stream.ended, true);
  });
});
