import {
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { WriterRegistryToken } from '../recorder/api.js';
import { TsContainerWriter } from './ts-writer.js';

interface WriterTsConfig {
  flushIntervalMs: number;
}

@injectable()
class WriterTsPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<WriterTsConfig>) {}

  register(): void {
    const ctx = this.ctx;
    ctx
      .use(WriterRegistryToken)
      .register(new TsContainerWriter({ flushIntervalMs: ctx.config.flushIntervalMs }));
  }
}

export default definePlugin<WriterTsConfig>({
  name: 'writer-ts',
  description: 'Records H.264 + AAC to MPEG-TS, written packet by packet (playable after a crash)',
  dependsOn: ['recorder'],
  config: {
    flushIntervalMs: {
      doc: 'Longest time muxed packets wait in memory before they are written to the file (and survive a crash)',
      format: 'nat',
      default: 500,
    },
  },
  plugin: WriterTsPlugin,
});
