import {
  definePlugin,
  type ConfigSchema,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { WriterRegistryToken } from '../recorder/api.js';
// writer-mkv's Matroska code, imported as code: writer-webm works with the writer-mkv plugin disabled.
import {
  MatroskaContainerWriter,
  matroskaWriterSchema,
  webmProfile,
  type MatroskaWriterConfig,
} from '../writer-mkv/api.js';

export interface WebmWriterConfig extends MatroskaWriterConfig {
  audioCodec: 'opus' | 'vorbis';
}

const webmWriterSchema: ConfigSchema<WebmWriterConfig> = {
  ...matroskaWriterSchema,
  audioCodec: {
    doc:
      'Audio codec of WebM recordings: opus, or vorbis (the reference\'s "VP8 + Vorbis"); audio in another ' +
      'codec, Opus included, is transcoded to it, which needs the transcoder plugin',
    format: ['opus', 'vorbis'],
    default: 'opus',
  },
};

@injectable()
class WriterWebmPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<WebmWriterConfig>) {}

  register(): void {
    const ctx = this.ctx;
    ctx.use(WriterRegistryToken).register(
      new MatroskaContainerWriter(webmProfile(ctx.config.audioCodec), {
        durationMs: ctx.config.clusterDurationLimitMs,
        sizeBytes: ctx.config.clusterSizeLimitBytes,
      }),
    );
  }
}

export default definePlugin<WebmWriterConfig>({
  name: 'writer-webm',
  description:
    'Records VP8 + Opus (or Vorbis) to WebM: live clusters while recording, Cues and Duration when finished',
  dependsOn: ['recorder'],
  config: webmWriterSchema,
  propertiesWithoutEffect: {
    webm_java_writer_enable: 'Spool has one WebM writer; cluster limits are always honoured',
  },
  plugin: WriterWebmPlugin,
});
