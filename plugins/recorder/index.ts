import { HooksToken, definePlugin } from '../../core/index.js';
import {
  FileWorkToken,
  RecorderServiceToken,
  RecordingPolicyRegistryToken,
  TranscoderRegistryToken,
  WriterRegistryToken,
} from './api.js';
import { recorderSchema, type RecorderConfig } from './config.js';
import { Recorder } from './recorder.js';

/**
 * Decides what is recorded, names the files and drives the container writers (writer-mp4 …),
 * which register themselves through WriterRegistryToken.
 */
export default definePlugin<RecorderConfig>({
  name: 'recorder',
  description: 'Records published streams to files in record_dir',
  config: recorderSchema,
  register(ctx) {
    const recorder = new Recorder(ctx.config, ctx.bus, ctx.use(HooksToken), ctx.log, (where, error) =>
      ctx.reportError(where, error),
    );
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
    recorders.set(ctx.container, recorder);
  },
  async start(ctx) {
    await recorders.get(ctx.container)!.open();
  },
  async stop(ctx) {
    await recorders.get(ctx.container)?.close();
  },
});

/** register, start and stop of one Spool share its Recorder (keyed by the plugin's container). */
const recorders = new WeakMap<object, Recorder>();
