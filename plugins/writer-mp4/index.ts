import {
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { WriterRegistryToken } from '../recorder/api.js';
import { Mp4ContainerWriter } from './mp4-writer.js';

interface WriterMp4Config {
  moovFirst: boolean;
  reserveSpace: boolean;
  reservedSpaceKb: number;
  fragmentMs: number;
}

@injectable()
class WriterMp4Plugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<WriterMp4Config>) {}

  register(): void {
    const ctx = this.ctx;
    ctx.use(WriterRegistryToken).register(
      new Mp4ContainerWriter({
        moovFirst: ctx.config.moovFirst,
        reserveSpace: ctx.config.reserveSpace,
        reservedSpaceKb: ctx.config.reservedSpaceKb,
        minimumFragmentMs: ctx.config.fragmentMs,
      }),
    );
  }
}

export default definePlugin<WriterMp4Config>({
  name: 'writer-mp4',
  description: 'Records H.264 + AAC to MP4: fragmented while recording, moov first when finished',
  dependsOn: ['recorder'],
  config: {
    moovFirst: {
      doc: 'Finished files have moov before mdat (progressive playback); false puts it at the end',
      format: Boolean,
      default: true,
      property: 'mp4_container_moov_first',
    },
    reserveSpace: {
      doc: 'Reserve space at the front of finished files for the moov (with moovFirst)',
      format: Boolean,
      default: false,
      property: 'mp4_container_moov_first_reserve_space',
    },
    reservedSpaceKb: {
      doc: 'Size of that reserved space, in KB',
      format: 'nat',
      default: 2048,
      property: 'mp4_container_moov_reserved_space_size',
    },
    fragmentMs: {
      doc: 'Minimum fragment length while recording (a fragment also ends only at a keyframe)',
      format: 'nat',
      default: 500,
    },
  },
  plugin: WriterMp4Plugin,
});
