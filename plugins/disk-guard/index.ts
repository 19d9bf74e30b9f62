import { statfs } from 'node:fs/promises';
import {
  definePlugin,
  errorMessage,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { RecordingPolicyRegistryToken, type PartRefusal } from '../recorder/api.js';
import { DiskGuardToken, type DiskGuard } from './api.js';
import { formatBytes, parseMinSpace } from './min-space.js';

interface DiskGuardConfig {
  minSpace: string;
  checkIntervalMs: number;
}

/** The log line the reference documents, which operators grep for. */
export const LOW_SPACE_MESSAGE = 'Not enough available disk space';

@injectable()
class DiskGuardPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<DiskGuardConfig>) {}

  register(): void {
    const ctx = this.ctx;
    const guard: DiskGuard = {
      minSpaceBytes: parseMinSpace(ctx.config.minSpace),
      async freeBytes(dir: string) {
        const stats = await statfs(dir);
        return stats.bavail * stats.bsize;
      },
    };
    ctx.provide(DiskGuardToken, guard);
    /** Directories recordings write to, and the last verdict on each (undefined = enough space). */
    const watched = new Map<string, PartRefusal | undefined>();

    const inspect = async (dirs: readonly string[]): Promise<PartRefusal | undefined> => {
      for (const dir of new Set(dirs)) {
        let free: number;
        try {
          free = await guard.freeBytes(dir);
        } catch (error) {
          // A directory that cannot be inspected is not a reason to lose a recording.
          ctx.log.warn({ dir }, `cannot read the free space of ${dir}: ${errorMessage(error)}`);
          watched.set(dir, undefined);
          continue;
        }
        const verdict =
          free < guard.minSpaceBytes
            ? {
                reason: 'disk-space' as const,
                message: `${LOW_SPACE_MESSAGE}: ${formatBytes(free)} free in ${dir}, file_recorder_min_space is ${formatBytes(guard.minSpaceBytes)}`,
              }
            : undefined;
        watched.set(dir, verdict);
        if (verdict !== undefined) return verdict;
      }
      return undefined;
    };

    ctx.use(RecordingPolicyRegistryToken).registerPolicy({
      name: 'disk-guard',
      beforePart: (view) => inspect([view.tmpDir, view.recordDir]),
      check(view) {
        const verdict = watched.get(view.tmpDir) ?? watched.get(view.recordDir);
        return verdict === undefined ? undefined : { action: 'stop', ...verdict };
      },
    });

    let timer: NodeJS.Timeout | undefined;
    ctx.hooks.ready.tap(() => {
      timer = setInterval(() => {
        if (watched.size > 0) void inspect([...watched.keys()]).catch((e) => ctx.reportError('check', e));
      }, ctx.config.checkIntervalMs);
      timer.unref();
    });
    ctx.hooks.shutdown.tap(() => clearInterval(timer));
  }
}

/**
 * file_recorder_min_space: a recording does not start, and a running one stops with a playable file
 * (its hook still runs), when the free space where it is written is below the limit. Checked before
 * each recording and each rotation part, and every checkIntervalMs while recording.
 */
export default definePlugin<DiskGuardConfig>({
  name: 'disk-guard',
  description: 'Refuses or stops recordings when free disk space is below file_recorder_min_space',
  dependsOn: ['recorder'],
  config: {
    minSpace: {
      doc: 'Minimum free space in record_dir and record_tmp_dir: bytes, or with a g or m suffix ("1g", "1024m")',
      format: (value: unknown) => {
        parseMinSpace(String(value));
      },
      default: '1g',
      property: 'file_recorder_min_space',
    },
    checkIntervalMs: {
      doc: 'How often free space is checked while recording',
      format: 'nat',
      default: 5000,
    },
  },
  plugin: DiskGuardPlugin,
});
