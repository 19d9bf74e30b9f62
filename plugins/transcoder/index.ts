import {
  definePlugin,
  positiveInteger,
  SpoolError,
  errorMessage,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { Gauge } from 'prom-client';
import { TranscoderRegistryToken } from '../recorder/api.js';
import { probeFfmpeg, resolveFfmpegPath } from './ffmpeg-binary.js';
import { AAC_KBPS_PER_CHANNEL, type TranscoderSettings } from './settings.js';
import { SharedConversions } from './shared-conversions.js';
import { ENCODERS, FfmpegTranscoderFactory } from './transcoder-factory.js';

export interface TranscoderConfig {
  ffmpeg: { path: string };
  sampleRate: number;
  channels: number;
  aacBitrateMode: number;
  stallTimeoutMs: number;
  closeTimeoutMs: number;
  queueLimitKb: number;
  maxSilenceFillMs: number;
  inputBatchMs: number;
  niceness: number;
  sharedIdleMs: number;
}

const AAC_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000];

function oneOf(allowed: readonly number[]): (value: unknown) => void {
  return (value) => {
    if (!allowed.includes(value as number)) throw new Error(`must be one of ${allowed.join(', ')}`);
  };
}

@injectable()
class TranscoderPlugin implements SpoolPlugin {
  private readonly factory: FfmpegTranscoderFactory;
  private shared: SharedConversions | undefined;
  private removeProvider: (() => void) | undefined;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<TranscoderConfig>) {
    const { config } = ctx;
    const settings: TranscoderSettings = {
      ffmpegPath: resolveFfmpegPath(config.ffmpeg.path),
      sampleRate: config.sampleRate,
      channels: config.channels,
      aacBitrateMode: config.aacBitrateMode,
      stallTimeoutMs: config.stallTimeoutMs,
      closeTimeoutMs: config.closeTimeoutMs,
      queueLimitBytes: config.queueLimitKb * 1024,
      maxSilenceFillMs: config.maxSilenceFillMs,
      inputBatchMs: config.inputBatchMs,
      niceness: config.niceness,
    };
    this.factory = new FfmpegTranscoderFactory(settings);
  }

  register(): void {
    const { ctx } = this;
    // Recordings' audio, when the recorder is enabled; converted streams for players either way.
    ctx.tryUse(TranscoderRegistryToken)?.registerTranscoder(this.factory);
    this.shared = new SharedConversions({
      name: ctx.name,
      bus: ctx.bus,
      factory: this.factory,
      log: ctx.log,
      idleMs: ctx.config.sharedIdleMs,
      gauge: new Gauge({
        name: 'spool_transcoder_shared_conversions',
        help: 'Audio conversions running for players (an ffmpeg each, shared by every player of converted:CODEC:NAME), by output codec',
        labelNames: ['to'],
        registers: [ctx.metrics.registry],
      }),
    });
  }

  /**
   * Checks that the binary runs and which encoders it has, so a bad path fails start-up, not a recording;
   * then makes the Vorbis headers every Vorbis output announces (Vorbis is offered once they exist).
   */
  async start(): Promise<void> {
    const { ctx, factory } = this;
    const path = factory.settings.ffmpegPath;
    try {
      const build = await probeFfmpeg(path);
      factory.encoders = build.encoders;
      const missing = Object.values(ENCODERS).filter((encoder) => !build.encoders.has(encoder));
      ctx.log.info({ ffmpeg: path, version: build.version }, `transcoding with ${build.version}`);
      if (missing.length > 0) {
        ctx.log.warn(`${path} has no ${missing.join(', ')} encoder: those conversions are not offered`);
      }
    } catch (error) {
      throw new SpoolError(
        'SPOOL_ERR_CONFIG_INVALID',
        `transcoder.ffmpeg.path: ${errorMessage(error)} (set transcoder.ffmpeg.path or SPOOL_TRANSCODER__FFMPEG__PATH)`,
        { cause: error },
      );
    }
    if (factory.encoders?.has(ENCODERS.vorbis!)) {
      try {
        await factory.prepareVorbis();
      } catch (error) {
        ctx.log.warn({ err: error }, `Vorbis output is not offered: ${errorMessage(error)}`);
      }
    }
    this.shared?.start();
    if (this.shared !== undefined) this.removeProvider = ctx.bus.addProvider(this.shared.provider());
  }

  /** No more converted streams are demanded; those running end (their ffmpeg is killed). */
  async stop(): Promise<void> {
    this.removeProvider?.();
    await this.shared?.stop();
  }
}

/**
 * Converts audio a container cannot hold while recording (WebRTC Opus and RTSP G.711 → AAC for MP4/TS,
 * RTMP AAC → Opus for WebM, Opus or AAC → Vorbis for a WebM writer configured for Vorbis) with one ffmpeg
 * process per converted track, and provides converted streams for players (`converted:opus:NAME`,
 * `converted:aac:NAME`: one ffmpeg per stream, shared by its players). See docs/transcoding.md.
 */
export default definePlugin<TranscoderConfig>({
  name: 'transcoder',
  description:
    'Converts recorded audio (Opus, G.711 → AAC; AAC → Opus; Opus, AAC → Vorbis) and provides converted streams for players (converted:opus:NAME, converted:aac:NAME) with ffmpeg helper processes',
  optionalDependsOn: ['recorder'],
  propertiesWithoutEffect: { use_fdk_aac: 'Spool decodes AAC with ffmpeg when it needs to' },
  config: {
    ffmpeg: {
      path: {
        doc: 'ffmpeg binary; empty = the one shipped in the @ffmpeg-installer/ffmpeg npm package',
        format: String,
        default: '',
        property: 'ffmpeg.path',
      },
    },
    sampleRate: {
      doc: 'Sample rate of AAC and Vorbis audio made by transcoding (Opus is always 48000)',
      format: oneOf(AAC_SAMPLE_RATES),
      default: 44100,
      property: 'record_audio_codec_sample_rate',
    },
    channels: {
      doc: 'Channels of audio made by transcoding: 1 (mono) or 2 (stereo)',
      format: oneOf([1, 2]),
      default: 2,
      property: 'record_audio_codec_channels',
    },
    aacBitrateMode: {
      doc: 'AAC bitrate: 0 = CBR 64 kbps per channel; 1–5 = libfdk-aac VBR modes, 32/40/56/72/112 kbps per channel',
      format: oneOf(AAC_KBPS_PER_CHANNEL.map((_, mode) => mode)),
      default: 5,
      property: 'record_fdk_aac_bitrate_mode',
    },
    stallTimeoutMs: {
      doc: 'ffmpeg writing nothing this long while input waits is a transcoding error',
      format: positiveInteger,
      default: 10000,
    },
    closeTimeoutMs: {
      doc: 'ffmpeg not done this long after its input ended is killed (a transcoding error)',
      format: positiveInteger,
      default: 15000,
    },
    queueLimitKb: {
      doc: 'Input waiting for ffmpeg beyond this (it cannot keep up) is a transcoding error',
      format: positiveInteger,
      default: 1024,
    },
    maxSilenceFillMs: {
      doc: 'Gaps in the input audio up to this long are filled with silence; longer ones are skipped',
      format: 'nat',
      default: 60000,
    },
    inputBatchMs: {
      doc:
        'Audio is handed to ffmpeg in batches of this many ms (fewer pipe writes and wake-ups: cheaper with many ' +
        'streams; adds as much latency to the converted audio); 0 = every frame at once',
      format: 'nat',
      default: 100,
    },
    niceness: {
      doc:
        'Added to the nice value of each transcoding ffmpeg (0-19): when CPUs are short, receiving streams ' +
        '(real time) wins over transcoding (its input waits in the pipe); 0 = same priority as Spool',
      format: (value: unknown) => {
        if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 19)
          throw new Error('must be an integer 0-19');
      },
      default: 10,
    },
    sharedIdleMs: {
      doc:
        'A converted stream for players (converted:opus:NAME, converted:aac:NAME) with no subscriber for this ' +
        'long is ended and its ffmpeg stopped',
      format: positiveInteger,
      default: 60000,
    },
  },
  plugin: TranscoderPlugin,
});
