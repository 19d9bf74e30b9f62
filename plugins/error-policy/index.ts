import {
  definePlugin,
  errorMessage,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { RecordingPolicyRegistryToken } from '../recorder/api.js';
import { ErrorWindow } from './error-window.js';

interface ErrorPolicyConfig {
  intervalMinutes: number;
  maxErrors: number;
}

@injectable()
class ErrorPolicyPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<ErrorPolicyConfig>) {}

  register(): void {
    const ctx = this.ctx;
    const { intervalMinutes, maxErrors } = ctx.config;
    const window = new ErrorWindow(intervalMinutes * 60_000, maxErrors);
    ctx.use(RecordingPolicyRegistryToken).registerPolicy({
      name: 'error-policy',
      onError(view, where, error) {
        const count = window.add(view.recordingId, Date.now());
        ctx.log.warn(
          { recordingId: view.recordingId, stream: view.stream.name, where, count },
          `recording error ${count}/${maxErrors} of "${view.stream.name}" (${where}): ${errorMessage(error)}`,
        );
        if (!window.limitReached(count)) return undefined;
        return {
          action: 'stop',
          reason: 'errors',
          message: `recording of "${view.stream.name}" stopped: ${count} errors within ${intervalMinutes} min (file_recorder_max_errors_per_interval=${maxErrors})`,
        };
      },
    });
  }
}

/**
 * file_recorder_error_interval / file_recorder_max_errors_per_interval: a recording that meets this
 * many errors (write, mux, transcode, recorder queue overflow) within the interval is stopped, and
 * its file closed playable. Each error already makes the recorder skip frames until the next
 * keyframe; without this plugin a recording goes on whatever the errors.
 */
export default definePlugin<ErrorPolicyConfig>({
  name: 'error-policy',
  description: 'Stops recordings that have too many errors (file_recorder_max_errors_per_interval)',
  dependsOn: ['recorder'],
  config: {
    intervalMinutes: {
      doc: 'Length of the interval errors are counted in, in minutes',
      format: 'nat',
      default: 60,
      property: 'file_recorder_error_interval',
    },
    maxErrors: {
      doc: 'Errors within the interval that stop a recording',
      format: 'nat',
      default: 3,
      property: 'file_recorder_max_errors_per_interval',
    },
  },
  plugin: ErrorPolicyPlugin,
});
