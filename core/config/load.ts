import { readFileSync } from 'node:fs';
import convict from 'convict';
import { SpoolError, errorMessage } from '../errors.js';
import { parseProperties } from './properties.js';
import { envNameFor, isSetting, listSettings, type SettingSchema } from './schema.js';

export interface ConfigSources {
  /** Spool's embedded defaults file (config/default.json); may be absent. */
  readonly defaultsFile?: string;
  readonly configFiles?: readonly string[];
  readonly propertiesFiles?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `key=value` strings from `--set`. */
  readonly sets?: readonly string[];
}

export interface LoadConfigOptions extends ConfigSources {
  /** Kernel schema plus each enabled plugin's schema under its name. */
  readonly schema: Record<string, unknown>;
  /** Plugins listed in plugins.json but disabled: their sections are ignored, not validated. */
  readonly disabledPlugins: ReadonlySet<string>;
  /**
   * Reference (flashphoner.properties) keys declared by plugins that are not enabled here, or that
   * have no effect: so such a key gets a notice naming its plugin instead of "unknown". Each
   * plugin declares its own (schema `property`, `propertiesWithoutEffect`); see core/plugins/manifest.ts.
   */
  readonly referenceKeys?: Readonly<Record<string, ReferenceKey>>;
}

/** A reference key some plugin declares. */
export interface ReferenceKey {
  /** The plugin that declares it. */
  readonly plugin: string;
  /** Set when the key is accepted but changes nothing in Spool: why. */
  readonly noEffect?: string;
}

export interface LoadedConfig {
  readonly config: convict.Config<Record<string, unknown>>;
  /** Where each setting's value came from (absent = schema default). */
  readonly origins: ReadonlyMap<string, string>;
  /** Things an operator should look at: unknown properties keys, in one line. */
  readonly warnings: readonly string[];
  /** Informational: keys of disabled plugins, keys with no effect in Spool. */
  readonly notices: readonly string[];
}

const ENV_PREFIX = 'SPOOL_';

/**
 * Builds the effective configuration. Later sources win: schema defaults, the defaults file,
 * `--config` files, `--properties` files, environment, `--set`. Unknown keys and invalid values
 * stop start-up with the key, the value and its source named — except unknown keys of a
 * properties file, which usually carries keys of the other server and only gets a warning.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const settings = listSettings(options.schema);
  const config = convict(options.schema as convict.Schema<Record<string, unknown>>, {
    env: {},
    args: [],
  });
  const origins = new Map<string, string>();
  const warnings: string[] = [];
  const notices: string[] = [];

  const assign = (path: string, value: unknown, origin: string): void => {
    config.load(nest(path, value));
    origins.set(path, origin);
  };
  const assignText = (path: string, raw: string, origin: string): void => {
    assign(path, coerceText(path, raw, settings.get(path)!, origin), origin);
  };

  const jsonFiles = [
    ...(options.defaultsFile === undefined ? [] : [options.defaultsFile]),
    ...(options.configFiles ?? []),
  ];
  for (const file of jsonFiles) {
    const data = readJsonFile(file);
    for (const [path, value] of flattenAgainstSchema(data, options.schema, file, options.disabledPlugins)) {
      // A JSON string for a numeric or boolean setting is converted as strictly as text from the
      // other sources; convict's own coercion would turn "no" into true and "8082abc" into 8082.
      const setting = settings.get(path);
      const strict = typeof value === 'string' && setting !== undefined && isScalarFormat(setting);
      assign(path, strict ? coerceText(path, value, setting, file) : value, file);
    }
  }

  const aliases = propertyAliases(settings);
  for (const file of options.propertiesFiles ?? []) {
    const unknown: string[] = [];
    for (const entry of parseProperties(readText(file), file)) {
      const origin = `${file} line ${entry.line}`;
      const targets = aliases.get(entry.key);
      if (targets !== undefined) {
        for (const path of targets) {
          const setting = settings.get(path)!;
          const value =
            setting.fromProperty === undefined
              ? coerceText(path, entry.value, setting, `${origin} (${entry.key})`)
              : convertProperty(setting, entry.key, entry.value, origin);
          assign(path, value, `${origin} (${entry.key})`);
        }
      } else if (settings.has(entry.key)) {
        assignText(entry.key, entry.value, origin);
      } else if (isSectionOf(entry.key, options.disabledPlugins)) {
        notices.push(`${origin}: "${entry.key}" ignored: its plugin is disabled`);
      } else if (options.referenceKeys !== undefined && Object.hasOwn(options.referenceKeys, entry.key)) {
        const ref = options.referenceKeys[entry.key]!;
        notices.push(
          ref.noEffect !== undefined
            ? `${origin}: "${entry.key}" accepted, no effect in Spool: ${ref.noEffect}`
            : `${origin}: "${entry.key}" ignored: plugin "${ref.plugin}" is not enabled`,
        );
      } else {
        unknown.push(entry.key);
      }
    }
    if (unknown.length > 0) {
      warnings.push(`${file}: ${unknown.length} key(s) not known to Spool, ignored: ${unknown.join(', ')}`);
    }
  }

  const envNames = new Map([...settings.keys()].map((path) => [envNameFor(path), path]));
  for (const [name, raw] of Object.entries(options.env ?? {})) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = envNames.get(name);
    if (path === undefined) {
      if (isSectionOf(name, new Set([...options.disabledPlugins].map((p) => envNameFor(p))), '__')) continue;
      throw new SpoolError(
        'SPOOL_ERR_CONFIG_UNKNOWN_KEY',
        `environment variable ${name} does not name a setting (expected SPOOL_<SECTION>__<KEY>, e.g. ${envNameFor('http.port')})`,
      );
    }
    assignText(path, raw, `environment ${name}`);
  }

  for (const item of options.sets ?? []) {
    const eq = item.indexOf('=');
    const path = eq === -1 ? item : item.slice(0, eq);
    if (eq <= 0) {
      throw new SpoolError('SPOOL_ERR_CONFIG_INVALID', `--set ${item}: expected key=value`);
    }
    if (!settings.has(path)) {
      throw new SpoolError('SPOOL_ERR_CONFIG_UNKNOWN_KEY', `--set: unknown key "${path}"`);
    }
    assignText(path, item.slice(eq + 1), `--set ${path}`);
  }

  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    const lines = errorMessage(error)
      .split('\n')
      .map((line) => {
        const path = line.slice(0, line.indexOf(':'));
        return `${line} (from ${origins.get(path) ?? 'schema default'})`;
      });
    throw new SpoolError('SPOOL_ERR_CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return { config, origins, warnings, notices };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpoolError('SPOOL_ERR_CONFIG_FILE', `cannot read ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

function readJsonFile(file: string): Record<string, unknown> {
  const text = readText(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SpoolError('SPOOL_ERR_CONFIG_FILE', `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SpoolError('SPOOL_ERR_CONFIG_FILE', `${file} must hold a JSON object`);
  }
  return data as Record<string, unknown>;
}

/** Turns a JSON config object into [settingPath, value] pairs, refusing keys the schema lacks. */
function flattenAgainstSchema(
  data: Record<string, unknown>,
  schema: Record<string, unknown>,
  file: string,
  disabledPlugins: ReadonlySet<string>,
  prefix = '',
): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(data)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (prefix === '' && (key.startsWith('$') || disabledPlugins.has(key))) continue;
    const node = schema[key];
    if (isSetting(node)) {
      pairs.push([path, value]);
    } else if (typeof node === 'object' && node !== null) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SpoolError(
          'SPOOL_ERR_CONFIG_INVALID',
          `${file}: "${path}" is a section and must be an object, got ${JSON.stringify(value)}`,
        );
      }
      pairs.push(
        ...flattenAgainstSchema(
          value as Record<string, unknown>,
          node as Record<string, unknown>,
          file,
          disabledPlugins,
          path,
        ),
      );
    } else {
      throw new SpoolError('SPOOL_ERR_CONFIG_UNKNOWN_KEY', `${file}: unknown key "${path}"`);
    }
  }
  return pairs;
}

function propertyAliases(settings: ReadonlyMap<string, SettingSchema<unknown>>): Map<string, string[]> {
  const aliases = new Map<string, string[]>();
  for (const [path, setting] of settings) {
    const names = setting.property === undefined ? [] : [setting.property].flat();
    for (const name of names) aliases.set(name, [...(aliases.get(name) ?? []), path]);
  }
  return aliases;
}

function convertProperty(setting: SettingSchema<unknown>, key: string, raw: string, origin: string): unknown {
  try {
    return setting.fromProperty!(raw);
  } catch (error) {
    // The converter's message may quote the value, so a secret's gets neither.
    const detail =
      setting.sensitive === true
        ? '[redacted] (sensitive setting)'
        : `${JSON.stringify(raw)}: ${errorMessage(error)}`;
    throw new SpoolError('SPOOL_ERR_CONFIG_INVALID', `${origin}: invalid value for ${key}: ${detail}`);
  }
}

function isSectionOf(key: string, sections: ReadonlySet<string>, separator = '.'): boolean {
  for (const section of sections) if (key.startsWith(`${section}${separator}`)) return true;
  return false;
}

function formatName(setting: SettingSchema<unknown>): string | undefined {
  const format: unknown = setting.format;
  if (typeof format === 'string') return format.toLowerCase();
  const constructors = ['object', 'array', 'string', 'number', 'boolean', 'regexp'];
  if (typeof format === 'function' && constructors.includes(format.name.toLowerCase())) {
    return format.name.toLowerCase();
  }
  // No format, or a validation function: text is converted after the default's type.
  if (format === undefined || typeof format === 'function') {
    if (typeof setting.default === 'boolean') return 'boolean';
    if (typeof setting.default === 'number') return 'number';
    if (Array.isArray(setting.default)) return 'array';
  }
  return undefined;
}

const SCALAR_FORMATS = new Set(['int', 'integer', 'nat', 'port', 'number', 'boolean']);

function isScalarFormat(setting: SettingSchema<unknown>): boolean {
  return SCALAR_FORMATS.has(formatName(setting) ?? '');
}

/** Converts text (properties, environment, --set) to the setting's type, strictly. */
function coerceText(path: string, raw: string, setting: SettingSchema<unknown>, origin: string): unknown {
  const text = raw.trim();
  const fail = (expected: string): never => {
    const shown = setting.sensitive === true ? '[redacted]' : JSON.stringify(raw);
    throw new SpoolError(
      'SPOOL_ERR_CONFIG_INVALID',
      `${origin}: invalid value ${shown} for "${path}": expected ${expected}`,
    );
  };
  switch (formatName(setting)) {
    case 'int':
    case 'integer':
    case 'nat':
    case 'port':
      return /^[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : fail('an integer');
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : fail('a number');
    case 'boolean':
      if (/^true$/i.test(text)) return true;
      if (/^false$/i.test(text)) return false;
      return fail('true or false');
    case 'array':
      if (text.startsWith('[')) return parseJson(text, fail);
      return text === '' ? [] : text.split(',').map((item) => item.trim());
    case 'object':
      return parseJson(text, fail);
    default:
      return text;
  }
}

function parseJson(text: string, fail: (expected: string) => never): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail('JSON');
  }
}

function nest(path: string, value: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<
    string,
    unknown
  >;
}
