import {
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { WriterRegistryToken } from '../recorder/api.js';
import { matroskaWriterSchema, type MatroskaWriterConfig } from './config.js';
import { MatroskaContainerWriter, MKV_PROFILE } from './matroska-writer.js';

@injectable()
class WriterMkvPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<MatroskaWriterConfig>) {}

  register(): void {
    const ctx = this.ctx;
    ctx.use(WriterRegistryToken).register(
      new MatroskaContainerWriter(MKV_PROFILE, {
        durationMs: ctx.config.clusterDurationLimitMs,
        sizeBytes: ctx.config.clusterSizeLimitBytes,
      }),
    );
  }
}

export default definePlugin<MatroskaWriterConfig>({
  name: 'writer-mkv',
  description:
    'Records H.264 or VP8 with AAC, Opus or G.711 to MKV as received: live clusters while recording, Cues and Duration when finished',
  dependsOn: ['recorder'],
  config: matroskaWriterSchema,
  plugin: WriterMkvPlugin,
});
