import type convict from 'convict';

/**
 * One setting in a config schema: convict's attributes plus the flashphoner.properties key(s)
 * that set it. `fromProperty` converts the properties text when the reference's syntax differs
 * from Spool's (e.g. `encode_record_name=true,HEX`); without it the text is coerced by `format`.
 */
export interface SettingSchema<T> extends convict.SchemaObj<T> {
  property?: string | readonly string[];
  fromProperty?: (raw: string) => T;
}

/** A plugin's (or the kernel's) config schema; T is the shape of the resulting values. */
export type ConfigSchema<T> = {
  [P in keyof T]: T[P] extends readonly unknown[]
    ? SettingSchema<T[P]>
    : T[P] extends object
      ? ConfigSchema<T[P]> | SettingSchema<T[P]>
      : SettingSchema<T[P]>;
};

export interface KernelConfig {
  http: { port: number; host: string };
  log: { level: string; pretty: 'auto' | 'true' | 'false' };
  /** Where plugins keep working state (e.g. node-media-server's store). */
  dataDir: string;
  plugins: { startTimeoutMs: number; stopTimeoutMs: number };
  bus: { playerQueueFrames: number; recorderQueueFrames: number };
  shutdown: { timeoutMs: number };
}

/** convict format: an integer of at least 1. */
export function positiveInteger(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be an integer of at least 1');
  }
}

export const kernelSchema: ConfigSchema<KernelConfig> = {
  http: {
    port: { doc: 'HTTP port (REST API, WHIP/WHEP, recordings, examples)', format: 'port', default: 8081 },
    host: { doc: 'Address the HTTP server binds to', format: String, default: '0.0.0.0' },
  },
  log: {
    level: {
      doc: 'Log level',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    pretty: {
      doc: 'Human-readable logs: auto = when stdout is a terminal',
      format: ['auto', 'true', 'false'],
      default: 'auto',
    },
  },
  dataDir: { doc: 'Directory for working state of plugins', format: String, default: './data' },
  plugins: {
    startTimeoutMs: {
      doc: "How long a plugin's start may take before start-up fails",
      format: 'nat',
      default: 15000,
    },
    stopTimeoutMs: {
      doc: "How long a plugin's stop may take at shutdown before Spool moves on",
      format: 'nat',
      default: 30000,
    },
  },
  bus: {
    playerQueueFrames: {
      doc: 'Frames queued per player before it drops to the next keyframe',
      format: positiveInteger,
      default: 512,
    },
    recorderQueueFrames: {
      doc: 'Frames queued per recorder before an overflow error is reported',
      format: positiveInteger,
      default: 4096,
    },
  },
  shutdown: {
    timeoutMs: {
      doc: 'Upper bound for a graceful shutdown before Spool exits anyway',
      format: 'nat',
      default: 60000,
    },
  },
};

/** Top-level config sections the kernel owns; no plugin may take these names. */
export const KERNEL_SECTIONS: readonly string[] = Object.keys(kernelSchema);

export function isSetting(node: unknown): node is SettingSchema<unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && 'default' in node;
}

/** Every setting of a schema by its dotted path. */
export function listSettings(
  schema: Record<string, unknown>,
  prefix = '',
): Map<string, SettingSchema<unknown>> {
  const settings = new Map<string, SettingSchema<unknown>>();
  for (const [key, node] of Object.entries(schema)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isSetting(node)) settings.set(path, node);
    else if (typeof node === 'object' && node !== null) {
      for (const [p, s] of listSettings(node as Record<string, unknown>, path)) settings.set(p, s);
    }
  }
  return settings;
}

/** The environment variable for a setting: `recorder.recordDir` → `SPOOL_RECORDER__RECORD_DIR`. */
export function envNameFor(path: string): string {
  const segments = path.split('.').map((segment) =>
    segment
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/-/g, '_')
      .toUpperCase(),
  );
  return `SPOOL_${segments.join('__')}`;
}
