import {
  PluginContextToken,
  definePlugin,
  injectToken,
  injectable,
  type PluginContext,
} from '../../core/index.js';
import {
  FileWorkToken,
  RECORDER_HOOK_KINDS,
  RecorderHooksToken,
  RecorderServiceToken,
  RecordingPolicyRegistryToken,
  TranscoderRegistryToken,
  WriterRegistryToken,
  type RecorderHookSignatures,
} from './api.js';
import { recorderSchema, type RecorderConfig } from './config.js';
import { Recorder } from './recorder.js';

@injectable()
class RecorderPlugin {
  private readonly recorder: Recorder;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<RecorderConfig>) {
    const hooks = ctx.defineHooks<RecorderHookSignatures>(RECORDER_HOOK_KINDS);
    ctx.provideHooks(RecorderHooksToken, hooks);
    this.recorder = new Recorder(ctx.config, ctx.bus, hooks, ctx.log, (where, error) =>
      ctx.reportError(where, error),
    );
  }

  register(): void {
    const { ctx, recorder } = this;
    ctx.provide(WriterRegistryToken, recorder);
    ctx.provide(RecorderServiceToken, recorder);
    ctx.provide(TranscoderRegistryToken, recorder);
    ctx.provide(FileWorkToken, recorder);
    ctx.provide(RecordingPolicyRegistryToken, recorder.policies);
    ctx.hooks.published.tap(({ stream }) => recorder.onPublished(stream));
    ctx.hooks.unpublished.tap(({ stream }) => recorder.onUnpublished(stream.mediaSessionId));
    ctx.hooks.ready.tap(() => {
      ctx.log.info(
        { recordDir: recorder.recordDir, tmpDir: recorder.tmpDir },
        `recording to ${recorder.recordDir} (in progress: ${recorder.tmpDir})`,
      );
    });
  }

  start(): Promise<void> {
    return this.recorder.open();
  }

  stop(): Promise<void> {
    return this.recorder.close();
  }
}

/**
 * Decides what is recorded, names the files and drives the container writers (writer-mp4 …),
 * which register themselves through WriterRegistryToken. Other plugins change a recording's
 * settings and name, and learn of finished files, through its hooks (RecorderHooksToken).
 */
export default definePlugin<RecorderConfig>({
  name: 'recorder',
  description: 'Records published streams to files in record_dir',
  config: recorderSchema,
  plugin: RecorderPlugin,
});
