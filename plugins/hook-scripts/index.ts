import { resolve } from 'node:path';
import {
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { RecorderHooksToken, type RecordedFile } from '../recorder/api.js';
import { runScript } from './run-script.js';

interface HookScriptsConfig {
  onRecordHookScript: string;
  timeoutMs: number;
}

@injectable()
class HookScriptsPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<HookScriptsConfig>) {}

  register(): void {
    const ctx = this.ctx;
    const script = ctx.config.onRecordHookScript === '' ? undefined : resolve(ctx.config.onRecordHookScript);
    if (script === undefined) return;

    ctx.use(RecorderHooksToken).recordingFinished.tap(async (file: RecordedFile) => {
      const args = [file.streamName, file.filePath];
      const result = await runScript(script, args, ctx.config.timeoutMs);
      const details = {
        script,
        args,
        code: result.code,
        signal: result.signal,
        durationMs: result.durationMs,
        stdout: result.stdout.trim(),
        stderr: result.stderr.trim(),
      };
      if (result.spawnError !== undefined) {
        ctx.log.error(
          { ...details, error: result.spawnError },
          `on_record_hook_script could not run: ${result.spawnError}`,
        );
      } else if (result.timedOut) {
        ctx.log.error(
          details,
          `on_record_hook_script killed after ${ctx.config.timeoutMs} ms for ${file.fileName}`,
        );
      } else if (result.code !== 0) {
        ctx.log.warn(details, `on_record_hook_script failed with code ${result.code} for ${file.fileName}`);
      } else {
        ctx.log.info(details, `on_record_hook_script done for ${file.fileName}`);
      }
    });
  }
}

/**
 * on_record_hook_script: after each finished recording file (every rotation part, and also files
 * closed because of disk space or errors, or recovered at start-up) the script runs with
 * $1 = stream name and $2 = the file's absolute path. A missing or failing script is logged,
 * never fatal.
 */
export default definePlugin<HookScriptsConfig>({
  name: 'hook-scripts',
  description: 'Runs on_record_hook_script for every finished recording',
  dependsOn: ['recorder'],
  config: {
    onRecordHookScript: {
      doc: 'Script run after each recording file is finished ($1 stream name, $2 file path); empty = none',
      format: String,
      default: '',
      property: 'on_record_hook_script',
    },
    timeoutMs: {
      doc: 'A hook script running longer than this is killed',
      format: 'nat',
      default: 60000,
    },
  },
  plugin: HookScriptsPlugin,
});
