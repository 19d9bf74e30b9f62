import { definePlugin } from '../../core/index.js';
import { WriterRegistryToken } from '../recorder/api.js';
// writer-mkv's Matroska code, imported as code: writer-webm works with the writer-mkv plugin disabled.
import { matroskaWriterSchema, type MatroskaWriterConfig } from '../writer-mkv/config.js';
import { MatroskaContainerWriter, WEBM_PROFILE } from '../writer-mkv/matroska-writer.js';

export default definePlugin<MatroskaWriterConfig>({
  name: 'writer-webm',
  description: 'Records VP8 + Opus to WebM: live clusters while recording, Cues and Duration when finished',
  dependsOn: ['recorder'],
  config: matroskaWriterSchema,
  register(ctx) {
    ctx.use(WriterRegistryToken).register(
      new MatroskaContainerWriter(WEBM_PROFILE, {
        durationMs: ctx.config.clusterDurationLimitMs,
        sizeBytes: ctx.config.clusterSizeLimitBytes,
      }),
    );
  },
});
