import { isAbsolute } from 'node:path';

/** The default hidden rule: dot-files (and so `.` and `..`) are never served. */
export function isDotName(name: string): boolean {
  return name.startsWith('.');
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function isPlain(name: string, isHidden: (name: string) => boolean): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\\0]/.test(name) &&
    !isAbsolute(name) &&
    !isHidden(name)
  );
}

/**
 * The file name of one raw (percent-encoded) request path segment, or undefined when it is not a
 * plain name: undecodable, empty, `.` or `..`, a separator or NUL, absolute, or hidden by `isHidden`.
 * A second decoding must not reveal any of these either: a proxy or client that decodes once more
 * would otherwise turn `..%252F` into `../`.
 */
export function safeName(
  rawSegment: string,
  isHidden: (name: string) => boolean = isDotName,
): string | undefined {
  const name = decode(rawSegment);
  if (name === undefined || !isPlain(name, isHidden)) return undefined;
  const twice = decode(name);
  if (twice !== undefined && twice !== name && !isPlain(twice, isHidden)) return undefined;
  return name;
}
