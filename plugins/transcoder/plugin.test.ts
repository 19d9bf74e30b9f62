/**
 * The plugin as an operator configures it: the reference's property names, the ffmpeg path from config
 * or environment, start-up refusing an ffmpeg that cannot run, and the factory it registers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { Spool, type AudioCodec, type PluginContext, type SpoolPlugin } from '../../core/index.js';
import { LogCapture } from '../../test/helpers/log.js';
import { TempDir } from '../../test/helpers/tmp.js';
import type { AudioTranscoderFactory, TranscoderRegistry } from '../recorder/api.js';
import plugin, { type TranscoderConfig } from './index.js';
import { resolveFfmpegPath } from './ffmpeg-binary.js';
import { aacBitrate } from './settings.js';
import { quietLog, testSettings, transcoderFfmpeg } from '../../test/helpers/transcoder/tone-audio.js';
import { vorbisConfig } from './vorbis-headers.js';

const tmp = new TempDir('spool-transcoder-plugin-');
after(() => tmp.cleanup());
const pluginsFile = tmp.json('plugins.json', {
  plugins: [
    { name: 'recorder', enabled: true },
    { name: 'transcoder', enabled: true },
  ],
});

function create(options: { properties?: string; env?: Record<string, string>; log?: LogCapture }) {
  return Spool.create({
    pluginsFile,
    propertiesFiles:
      options.properties === undefined ? [] : [tmp.file(`${Math.random()}.properties`, options.properties)],
    sets: ['http.port=0', 'http.host=127.0.0.1', `recorder.recordDir=${join(tmp.path, 'records')}`],
    env: options.env ?? {},
    logDestination: options.log ?? new LogCapture(),
  });
}

describe('transcoder plugin', () => {
  test('reads the reference properties and ffmpeg.path, and logs the ffmpeg it uses', async (t) => {
    const ffmpeg = transcoderFfmpeg(t);
    if (ffmpeg === undefined) return;
    const log = new LogCapture();
    const spool = await create({
      log,
      properties: [
        'record_audio_codec_sample_rate=48000',
        'record_audio_codec_channels=1',
        'record_fdk_aac_bitrate_mode=0',
        `ffmpeg.path=${ffmpeg}`,
      ].join('\n'),
    });
    await spool.start();
    try {
      const config = spool.effectiveConfig.config.get('transcoder') as TranscoderConfig;
      assert.equal(config.sampleRate, 48000);
      assert.equal(config.channels, 1);
      assert.equal(config.aacBitrateMode, 0);
      assert.equal(config.ffmpeg.path, ffmpeg);
      assert.ok(
        log.find(
          (line) => line.plugin === 'transcoder' && /^transcoding with ffmpeg version/.test(String(line.msg)),
        ),
      );
    } finally {
      await spool.stop();
    }
  });

  test('defaults: 44100 Hz, stereo, mode 5, the npm package ffmpeg', async () => {
    const spool = await create({});
    const config = spool.effectiveConfig.config.get('transcoder') as TranscoderConfig;
    assert.deepEqual(
      [config.sampleRate, config.channels, config.aacBitrateMode, config.ffmpeg.path],
      [44100, 2, 5, ''],
    );
    assert.match(resolveFfmpegPath(''), /@ffmpeg-installer/);
  });

  test('a sample rate AAC has no index for is refused, naming the key', async () => {
    await assert.rejects(
      create({ properties: 'record_audio_codec_sample_rate=44000\n' }),
      /transcoder\.sampleRate.*must be one of/s,
    );
  });

  test('SPOOL_TRANSCODER__FFMPEG__PATH to a missing binary: start-up fails naming the key and the path', async () => {
    const spool = await create({ env: { SPOOL_TRANSCODER__FFMPEG__PATH: '/nonexistent/ffmpeg' } });
    await assert.rejects(
      spool.start(),
      /transcoder\.ffmpeg\.path: cannot run ffmpeg at \/nonexistent\/ffmpeg/,
    );
    await spool.stop();
  });

  const config: TranscoderConfig = {
    ...{ ffmpeg: { path: '/usr/bin/ffmpeg' }, sampleRate: 44100, channels: 2, aacBitrateMode: 5 },
    ...{
      stallTimeoutMs: 10000,
      closeTimeoutMs: 5000,
      queueLimitKb: 1024,
      maxSilenceFillMs: 60000,
      inputBatchMs: 100,
      niceness: 10,
      sharedIdleMs: 60000,
    },
  };
  const codecs: AudioCodec[] = ['aac', 'opus', 'pcma', 'pcmu', 'vorbis'];
  const pairs = codecs.flatMap((from) => codecs.map((to) => [from, to] as const));

  /** The plugin registered (and started, with `start`) outside a Spool; returns the factory it registered. */
  async function registered(pluginConfig: TranscoderConfig, start = false): Promise<AudioTranscoderFactory> {
    const factories: AudioTranscoderFactory[] = [];
    const registry: TranscoderRegistry = { registerTranscoder: (factory) => factories.push(factory) };
    const ctx = {
      ...{ name: 'transcoder', config: pluginConfig, log: quietLog, metrics: { registry: new Registry() } },
      bus: { addProvider: () => () => undefined },
      tryUse: () => registry,
    } as unknown as PluginContext<TranscoderConfig>;
    const Plugin = plugin.plugin as new (c: PluginContext<TranscoderConfig>) => SpoolPlugin;
    const instance = new Plugin(ctx);
    instance.register?.();
    if (start) await instance.start?.();
    assert.equal(factories.length, 1);
    return factories[0]!;
  }

  test('registers a factory for Opus/G.711 → AAC and AAC → Opus; Vorbis waits for its headers', async () => {
    const factory = await registered(config);
    const supported = pairs.filter(([from, to]) => factory.supports(from, to)).map((pair) => pair.join('→'));
    assert.deepEqual(supported, ['aac→opus', 'opus→aac', 'pcma→aac', 'pcmu→aac']);
  });

  test('started, it offers Opus and AAC → Vorbis, announcing the headers made at start', async (t) => {
    const ffmpeg = transcoderFfmpeg(t);
    if (ffmpeg === undefined) return;
    const factory = await registered({ ...config, ffmpeg: { path: ffmpeg } }, true);
    const supported = pairs.filter(([from, to]) => factory.supports(from, to)).map((pair) => pair.join('→'));
    assert.deepEqual(supported, [
      'aac→opus',
      'aac→vorbis',
      'opus→aac',
      'opus→vorbis',
      'pcma→aac',
      'pcmu→aac',
    ]);
    const input = {
      id: 2,
      kind: 'audio',
      codec: 'opus',
      timescale: 48000,
      sampleRate: 48000,
      channels: 2,
    } as const;
    const errors: Error[] = [];
    const transcoder = factory.open({
      ...{ input, to: 'vorbis', log: quietLog },
      ...{ onFrame: () => undefined, onError: (error) => errors.push(error) },
    });
    transcoder.abort();
    assert.deepEqual(errors, []);
    const { output } = transcoder;
    assert.deepEqual([output.codec, output.sampleRate, output.channels], ['vorbis', 44100, 2]);
    assert.deepEqual(output.config, await vorbisConfig(testSettings(ffmpeg)));
  });

  test('AAC bitrate per mode and channel count, capped at what the encoder takes', () => {
    assert.equal(aacBitrate(5, 2, 44100), 224_000);
    assert.equal(aacBitrate(1, 1, 48000), 32_000);
    assert.equal(aacBitrate(0, 2, 44100), 128_000);
    assert.equal(aacBitrate(5, 1, 8000), 48_000);
  });
});
