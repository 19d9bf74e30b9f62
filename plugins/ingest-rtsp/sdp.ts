import { RtspError } from './rtsp-error.js';

/** One payload format of an SDP media section (a=rtpmap and a=fmtp of one payload type). */
export interface SdpFormat {
  readonly payloadType: number;
  /** Upper-case encoding name: H264, MPEG4-GENERIC, PCMA … */
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
  /** fmtp parameters, names lower-case. */
  readonly parameters: ReadonlyMap<string, string>;
}

export interface SdpMedia {
  /** video, audio, application … */
  readonly type: string;
  readonly formats: readonly SdpFormat[];
  /** The URL SETUP goes to (a=control resolved against the base URL). */
  readonly controlUrl: string;
}

/** RFC 3551 static payload types that cameras send without an a=rtpmap line. */
const STATIC_TYPES: Readonly<Record<number, Omit<SdpFormat, 'payloadType' | 'parameters'>>> = {
  0: { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encoding: 'PCMA', clockRate: 8000, channels: 1 },
};

const MAX_MEDIA = 16;

export interface SessionDescription {
  /** The aggregate control URL that PLAY, keepalives and TEARDOWN go to (session-level a=control). */
  readonly controlUrl: string;
  readonly media: readonly SdpMedia[];
}

/**
 * Reads what the client needs from a DESCRIBE reply's SDP: the session's control URL, and each
 * media section's payload formats and control URL. `baseUrl` is Content-Base, else
 * Content-Location, else the DESCRIBE URL (RFC 2326 §C.1.1).
 */
export function parseSdp(text: string, baseUrl: string): SessionDescription {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (!lines.some((line) => line.startsWith('m='))) {
    throw new RtspError('protocol', 'the DESCRIBE reply has no SDP media section');
  }
  let sessionControl: string | undefined;
  const sections: Array<{ type: string; payloadTypes: number[]; attributes: string[] }> = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (sections.length >= MAX_MEDIA)
        throw new RtspError('protocol', `more than ${MAX_MEDIA} SDP media sections`);
      const [type = '', , , ...formats] = line.slice(2).split(/\s+/);
      sections.push({ type, payloadTypes: formats.map(Number).filter(Number.isInteger), attributes: [] });
    } else if (line.startsWith('a=')) {
      const current = sections.at(-1);
      if (current !== undefined) current.attributes.push(line.slice(2));
      else if (line.startsWith('a=control:')) sessionControl = line.slice('a=control:'.length);
    }
  }
  const base = sessionControl === undefined ? baseUrl : resolveControl(sessionControl, baseUrl);
  const media = sections.map(({ type, payloadTypes, attributes }) => {
    const control = attributes.find((a) => a.startsWith('control:'))?.slice('control:'.length);
    return {
      type,
      formats: payloadTypes.map((pt) => formatOf(pt, attributes)).filter((f) => f !== undefined),
      controlUrl: control === undefined ? base : resolveControl(control, baseUrl),
    };
  });
  return { controlUrl: base, media };
}

function formatOf(payloadType: number, attributes: readonly string[]): SdpFormat | undefined {
  const rtpmap = attributes.find((a) => a.startsWith(`rtpmap:${payloadType} `));
  const fmtp = attributes.find((a) => a.startsWith(`fmtp:${payloadType} `));
  const parameters = new Map<string, string>();
  for (const part of fmtp?.slice(fmtp.indexOf(' ') + 1).split(';') ?? []) {
    const equals = part.indexOf('=');
    if (equals > 0) parameters.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
  }
  if (rtpmap === undefined) {
    const known = STATIC_TYPES[payloadType];
    return known === undefined ? undefined : { payloadType, ...known, parameters };
  }
  const [encoding = '', rate = '', channels = '1'] = rtpmap.slice(rtpmap.indexOf(' ') + 1).split('/');
  const clockRate = Number(rate);
  if (!Number.isInteger(clockRate) || clockRate <= 0) return undefined;
  return {
    payloadType,
    encoding: encoding.toUpperCase(),
    clockRate,
    channels: Number(channels) || 1,
    parameters,
  };
}

/** An absolute control URL stays; `*` is the base; anything else is relative to the base. */
export function resolveControl(control: string, base: string): string {
  if (/^rtsps?:\/\//i.test(control)) return control;
  if (control === '*' || control === '') return base;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}
