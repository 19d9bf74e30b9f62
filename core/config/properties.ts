import { SpoolError } from '../errors.js';

export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line number where the entry starts. */
  readonly line: number;
}

/**
 * Parses flashphoner.properties (java.util.Properties syntax): `#` and `!` comments, blank lines,
 * `key=value`, `key: value` or `key value` with spaces around the separator, backslash line
 * continuation and escapes. Values are trimmed at both ends (the reference's examples carry
 * trailing spaces). A later duplicate key wins, as in Java.
 */
export function parseProperties(text: string, fileName: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      i++;
      logical = logical.slice(0, -1) + lines[i]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitEntry(logical);
    if (key === '') {
      throw new SpoolError(
        'SPOOL_ERR_CONFIG_FILE',
        `${fileName} line ${startLine}: entry has no key: ${JSON.stringify(logical)}`,
      );
    }
    const where = `${fileName} line ${startLine}`;
    entries.push({
      key: unescape(key, where),
      value: unescape(trimEndUnescaped(value), where),
      line: startLine,
    });
  }
  return entries;
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitEntry(line: string): { key: string; value: string } {
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    i++;
  }
  const key = line.slice(0, i);
  let rest = line.slice(i).replace(/^[ \t\f]+/, '');
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1);
  return { key, value: rest.replace(/^[ \t\f]+/, '') };
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Trailing blanks go (the reference's examples carry some), escaped ones (`\\ `) stay. */
function trimEndUnescaped(text: string): string {
  let end = text.length;
  while (end > 0 && /[ \t\f]/.test(text[end - 1]!)) {
    let backslashes = 0;
    for (let i = end - 2; i >= 0 && text[i] === '\\'; i--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return text.slice(0, end);
}

function unescape(text: string, where: string): string {
  return text.replace(/\\(u.{0,4}|.)/g, (_match, escaped: string) => {
    if (escaped.startsWith('u')) {
      if (!/^u[0-9a-fA-F]{4}$/.test(escaped)) {
        throw new SpoolError('SPOOL_ERR_CONFIG_FILE', `${where}: malformed \\uXXXX escape "\\${escaped}"`);
      }
      return String.fromCharCode(parseInt(escaped.slice(1), 16));
    }
    return ESCAPES[escaped] ?? escaped;
  });
}
