import { RtspError } from './rtsp-error.js';

/** An rtsp:// URI split into what the client needs; credentials never appear in `url`. */
export interface RtspTarget {
  /** The URI without user and password: what requests carry, logs show and the REST API lists. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

const DEFAULT_PORT = 554;

/**
 * Parses `rtsp://user:pass@host:port/path`. User and password are percent-decoded, so a password
 * with an `@` or `:` is written `p%40ss`; WHATWG URL parsing also takes an unescaped `@` in the
 * password, splitting at the last one.
 */
export function parseRtspUri(uri: string): RtspTarget {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new RtspError('protocol', `not a URI: ${JSON.stringify(stripCredentials(uri))}`);
  }
  if (parsed.protocol === 'rtsps:')
    throw new RtspError('unsupported', 'rtsps:// (RTSP over TLS) is not supported');
  if (parsed.protocol !== 'rtsp:') {
    throw new RtspError('protocol', `not an rtsp:// URI: ${JSON.stringify(stripCredentials(uri))}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new RtspError('protocol', `no host in ${JSON.stringify(stripCredentials(uri))}`);
  const username = decode(parsed.username, 'user name');
  const password = decode(parsed.password, 'password');
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.href,
    host,
    port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port),
    ...(username === '' ? {} : { username, password }),
  };
}

/** The URI without credentials, for names and logs; unparseable text loses everything up to the last @. */
export function stripCredentials(uri: string): string {
  try {
    const parsed = new URL(uri);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    const at = uri.lastIndexOf('@');
    const scheme = uri.indexOf('://');
    return at > scheme && scheme !== -1 ? uri.slice(0, scheme + 3) + uri.slice(at + 1) : uri;
  }
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RtspError('protocol', `the ${what} in the URI has a malformed %-escape`);
  }
}
