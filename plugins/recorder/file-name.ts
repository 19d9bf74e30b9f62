/**
 * Recording file names from stream_record_policy_template. Every element of the reference, each
 * cut to its documented maximum size; optional HEX/BASE64 encoding; excluded characters removed;
 * and, whatever the configuration, a result that is one plain file name inside record_dir.
 */

export type NameEncoding = 'none' | 'hex' | 'base64';

export interface NamingPolicy {
  /** stream_record_policy_template */
  readonly template: string;
  /** encode_record_name */
  readonly encoding: NameEncoding;
  /** exclude_record_name_characters: each character is removed from the name. */
  readonly excludeCharacters: string;
}

/** Values of the template's elements; an element whose value is not known yet stays as written. */
export interface TemplateValues {
  readonly streamName: string;
  readonly mediaSessionId: string;
  readonly login: string;
  readonly sessionId?: string;
  readonly audioCodec?: string;
  readonly videoCodec?: string;
  /** Stream timestamps (ms) of the recording's first and last frame. */
  readonly startTime?: number;
  readonly endTime?: number;
  /** Server clock (ms since epoch) at the start and end of the recording. */
  readonly startTimeMillis?: number;
  readonly endTimeMillis?: number;
  /** Duration of the file in ms. */
  readonly durationMs?: number;
}

/** Element → maximum size in characters (the reference's table; streamName and duration: none). */
const ELEMENTS: Readonly<Record<string, { max?: number; value: (v: TemplateValues) => string | undefined }>> =
  {
    streamName: { value: (v) => v.streamName },
    duration: { value: (v) => integer(v.durationMs) },
    startTime: { max: 20, value: (v) => integer(v.startTime) },
    endTime: { max: 20, value: (v) => integer(v.endTime) },
    startTimeMillis: { max: 20, value: (v) => integer(v.startTimeMillis) },
    endTimeMillis: { max: 20, value: (v) => integer(v.endTimeMillis) },
    sessionId: { max: 60, value: (v) => v.sessionId },
    mediaSessionId: { max: 36, value: (v) => v.mediaSessionId },
    login: { max: 32, value: (v) => v.login },
    audioCodec: { max: 4, value: (v) => v.audioCodec },
    videoCodec: { max: 4, value: (v) => v.videoCodec },
  };

export const TEMPLATE_ELEMENTS: readonly string[] = Object.keys(ELEMENTS);

/** The maximum length of a file name in bytes on the file systems Spool runs on. */
export const MAX_FILE_NAME_BYTES = 255;

function integer(value: number | undefined): string | undefined {
  return value === undefined || !Number.isFinite(value) ? undefined : BigInt(Math.round(value)).toString();
}

/** Fills the template; unknown elements and elements without a value are left as written. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => {
    const element = ELEMENTS[name];
    if (element === undefined) return whole;
    const value = element.value(values);
    if (value === undefined) return whole;
    return element.max === undefined ? value : [...value].slice(0, element.max).join('');
  });
}

/** The elements of a template whose values are known only when the file ends. */
export function endDependentElements(template: string): string[] {
  return ['endTime', 'endTimeMillis', 'duration'].filter((name) => template.includes(`{${name}}`));
}

/**
 * The finished file's name: template rendered, encoded or cleaned, the rotation part appended as
 * `_N`, and the whole trimmed to 255 bytes including the extension.
 */
export function recordingFileName(
  policy: NamingPolicy,
  values: TemplateValues,
  options: { extension: string; part?: number },
): string {
  const rendered = renderTemplate(policy.template, values);
  let base: string;
  if (policy.encoding === 'hex') base = Buffer.from(rendered, 'utf8').toString('hex');
  else if (policy.encoding === 'base64') base = Buffer.from(rendered, 'utf8').toString('base64url');
  else base = makeSafe(removeCharacters(rendered, policy.excludeCharacters));
  if (base === '' || base === '.' || base === '..') base = makeSafe(values.mediaSessionId) || 'recording';
  const suffix = `${options.part === undefined ? '' : `_${options.part}`}.${options.extension}`;
  return trimToBytes(base, MAX_FILE_NAME_BYTES - Buffer.byteLength(suffix)) + suffix;
}

function removeCharacters(text: string, excluded: string): string {
  if (excluded === '') return text;
  const set = new Set(excluded);
  return [...text].filter((c) => !set.has(c)).join('');
}

/**
 * Whatever the operator excluded, a name never contains a path separator or a control character,
 * never is "." or "..", and never starts with "-" (so no tool mistakes it for an option).
 */
export function makeSafe(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  let safe = name.replace(/[/\\\u0000-\u001f\u007f]/g, '_');
  if (safe === '.' || safe === '..') safe = safe.replace(/\./g, '_');
  if (safe.startsWith('-')) safe = `_${safe.slice(1)}`;
  return safe;
}

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character. */
export function trimToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/** encode_record_name: "true,HEX", "true,BASE64", "true" (= HEX) or "false". */
export function parseEncodeRecordName(raw: string): NameEncoding {
  const [enabled, kind] = raw.split(',').map((part) => part.trim());
  if (/^false$/i.test(enabled ?? '') || enabled === '') return 'none';
  if (!/^true$/i.test(enabled ?? '')) throw new Error('expected "true,HEX", "true,BASE64" or "false"');
  if (kind === undefined || /^hex$/i.test(kind)) return 'hex';
  if (/^base64$/i.test(kind)) return 'base64';
  throw new Error(`unknown encoding "${kind}" (HEX or BASE64)`);
}
