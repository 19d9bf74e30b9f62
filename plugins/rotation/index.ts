import {
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import {
  RecorderHooksToken,
  RecordingPolicyRegistryToken,
  type RecorderHooks,
  type RecordingPolicyRegistry,
  type RecordingSettings,
  type PolicyVerdict,
  type RecordingView,
} from '../recorder/api.js';
import { describeRotation, parseRotation, type RotationLimit } from './rotation-limit.js';

interface RotationConfig {
  recordRotation: string;
  indexEnabled: boolean;
  keyframeLeadMs: number;
}

const SPLIT: PolicyVerdict = { action: 'split' };
const KEYFRAME: PolicyVerdict = { action: 'keyframe' };
const DISABLED: RotationLimit = { kind: 'disabled' };

@injectable()
class RotationPlugin implements SpoolPlugin {
  constructor(
    @injectToken(PluginContextToken) private readonly ctx: PluginContext<RotationConfig>,
    @injectToken(RecorderHooksToken) private readonly recorderHooks: RecorderHooks,
    @injectToken(RecordingPolicyRegistryToken) private readonly policies: RecordingPolicyRegistry,
  ) {}

  register(): void {
    const ctx = this.ctx;
    const serverLimit = parseRotation(ctx.config.recordRotation);
    const limits = new WeakMap<object, RotationLimit>();
    const limitOf = (settings: Readonly<RecordingSettings>): RotationLimit => {
      // Never a multi-stream recording (several streams in one file), whatever is configured.
      if (settings.multiStream === true) return DISABLED;
      let limit = limits.get(settings);
      if (limit === undefined) {
        limit = settings.rotation === undefined ? serverLimit : parseRotation(settings.rotation);
        limits.set(settings, limit);
      }
      return limit;
    };

    this.recorderHooks.recordingStart.tap((settings) => {
      if (settings.multiStream === true) {
        const asked = settings.rotation ?? ctx.config.recordRotation;
        if (asked.trim().toLowerCase() !== 'disabled' && asked.trim() !== '') {
          ctx.log.info(
            `recording of "${settings.stream.name}" is multi-stream: not rotated (record_rotation "${asked}" ignored)`,
          );
        }
        return settings;
      }
      let limit: RotationLimit;
      try {
        limit = limitOf(settings);
      } catch (error) {
        ctx.log.warn({ err: error }, `rotation of "${settings.stream.name}" disabled: ${String(error)}`);
        limit = { kind: 'disabled' };
        limits.set(settings, limit);
      }
      if (limit.kind !== 'disabled') {
        settings.numberParts = ctx.config.indexEnabled;
        ctx.log.info(`recording of "${settings.stream.name}" rotates ${describeRotation(limit)}`);
      }
      return settings;
    });

    this.policies.registerPolicy({
      name: 'rotation',
      check(view: RecordingView) {
        const limit = limitOf(view.settings);
        if (limit.kind === 'time') {
          if (view.partDurationMs >= limit.ms) return SPLIT;
          if (view.partDurationMs >= limit.ms - ctx.config.keyframeLeadMs) return KEYFRAME;
        } else if (limit.kind === 'size') {
          if (view.partBytes >= limit.bytes) return SPLIT;
          if (view.partBytes >= limit.bytes * 0.9) return KEYFRAME;
        }
        return undefined;
      },
    });
  }
}

/**
 * record_rotation: recordings are split into parts of N seconds or N megabytes, each cut at the
 * next keyframe after the limit (a keyframe is requested from the publisher keyframeLeadMs ahead,
 * or at 90 % of a size limit), numbered _1, _2 … unless record_rotation_index_enabled=false. A REST
 * start's "rotation" overrides record_rotation for that recording. Multi-stream recordings
 * (RecordingSettings.multiStream) are never rotated. Disabling this plugin turns rotation off;
 * recording is unaffected.
 */
export default definePlugin<RotationConfig>({
  name: 'rotation',
  description: 'Splits recordings into parts by duration or size (record_rotation)',
  dependsOn: ['recorder'],
  config: {
    recordRotation: {
      doc: '"disabled", seconds per part ("20") or megabytes per part ("10M")',
      format: (value: unknown) => {
        parseRotation(String(value));
      },
      default: 'disabled',
      property: 'record_rotation',
    },
    indexEnabled: {
      doc: 'Number the parts _1, _2 …; false names every part by the template alone (parts may overwrite each other)',
      format: Boolean,
      default: true,
      property: 'record_rotation_index_enabled',
    },
    keyframeLeadMs: {
      doc: 'Ask the publisher for a keyframe this long before a time limit, so parts end close to it',
      format: 'nat',
      default: 1000,
    },
  },
  plugin: RotationPlugin,
});
