import { createHash, randomBytes } from 'node:crypto';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** One WWW-Authenticate challenge: its scheme (lower-case) and parameters (names lower-case). */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = {
  md5: 'md5',
  'md5-sess': 'md5',
  'sha-256': 'sha256',
  'sha-256-sess': 'sha256',
};

/** Parses WWW-Authenticate values (`Digest realm="…", nonce="…"`, `Basic realm="…"`). */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const challenges: Challenge[] = [];
  for (const value of values) {
    const scheme = /^\s*([A-Za-z][\w-]*)/.exec(value);
    if (scheme === null) continue;
    const params = new Map<string, string>();
    const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    for (const match of value.slice(scheme[0].length).matchAll(pattern)) {
      params.set(match[1]!.toLowerCase(), match[2]?.replace(/\\(.)/g, '$1') ?? match[3] ?? '');
    }
    challenges.push({ scheme: scheme[1]!.toLowerCase(), params });
  }
  return challenges;
}

/**
 * Basic and Digest (RFC 2617, RFC 7616: MD5, SHA-256, -sess, qop=auth) for one RTSP session.
 * `accept` takes a 401's challenges and says whether retrying can help; `authorization` gives the
 * header for each later request (Digest counts nc per nonce).
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private nonceCount = 0;

  constructor(
    private readonly credentials: Credentials | undefined,
    /** Client nonces for qop=auth; injectable so tests can check RFC 2617's worked example. */
    private readonly newCnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  /**
   * A 401 arrived. True when a retry may succeed: there are credentials, a usable challenge, and
   * the refused request carried none yet, or its Digest nonce had gone stale. False means the
   * credentials were refused (or none were given).
   */
  accept(values: readonly string[], requestHadCredentials: boolean): boolean {
    if (this.credentials === undefined) return false;
    const challenges = parseChallenges(values);
    const chosen = pickDigest(challenges) ?? challenges.find((c) => c.scheme === 'basic');
    if (chosen === undefined) return false;
    const stale = chosen.scheme === 'digest' && chosen.params.get('stale')?.toLowerCase() === 'true';
    if (requestHadCredentials && !stale) return false;
    this.challenge = chosen;
    this.nonceCount = 0;
    return true;
  }

  /** The Authorization header for a request, once a challenge is known; undefined before. */
  authorization(method: string, uri: string): string | undefined {
    const { credentials, challenge } = this;
    if (credentials === undefined || challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') {
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    return this.digest(credentials, challenge, method, uri);
  }

  private digest(credentials: Credentials, challenge: Challenge, method: string, uri: string): string {
    const params = challenge.params;
    const algorithm = params.get('algorithm') ?? 'MD5';
    const hashName = DIGEST_ALGORITHMS[algorithm.toLowerCase()]!;
    const hash = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
    const realm = params.get('realm') ?? '';
    const nonce = params.get('nonce') ?? '';
    const qop = params
      .get('qop')
      ?.split(',')
      .map((q) => q.trim())
      .includes('auth')
      ? 'auth'
      : undefined;
    const cnonce = this.newCnonce();
    const nc = (++this.nonceCount).toString(16).padStart(8, '0');
    let ha1 = hash(`${credentials.username}:${realm}:${credentials.password}`);
    if (algorithm.toLowerCase().endsWith('-sess')) ha1 = hash(`${ha1}:${nonce}:${cnonce}`);
    const ha2 = hash(`${method}:${uri}`);
    const response =
      qop === undefined
        ? hash(`${ha1}:${nonce}:${ha2}`)
        : hash(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    const fields = [
      `username="${quoted(credentials.username)}"`,
      `realm="${quoted(realm)}"`,
      `nonce="${quoted(nonce)}"`,
      `uri="${quoted(uri)}"`,
      `response="${response}"`,
    ];
    if (params.has('algorithm')) fields.push(`algorithm=${algorithm}`);
    if (params.has('opaque')) fields.push(`opaque="${quoted(params.get('opaque')!)}"`);
    if (qop !== undefined) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    return `Digest ${fields.join(', ')}`;
  }
}

/** The strongest Digest challenge whose algorithm is known (SHA-256 before MD5). */
function pickDigest(challenges: readonly Challenge[]): Challenge | undefined {
  const usable = challenges.filter(
    (c) => c.scheme === 'digest' && (c.params.get('algorithm') ?? 'md5').toLowerCase() in DIGEST_ALGORITHMS,
  );
  const strength = (c: Challenge) =>
    (c.params.get('algorithm') ?? 'md5').toLowerCase().startsWith('sha') ? 1 : 0;
  return usable.sort((a, b) => strength(b) - strength(a))[0];
}

function quoted(text: string): string {
  return text.replace(/[\\"]/g, '\\$&');
}
