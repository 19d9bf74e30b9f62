/**
 * A DESCRIBE reply's SDP, read with sdp-transform (lib/sdp). Two things stay hand-written because
 * they are RTSP's, not SDP syntax: the RFC 3551 static payload types a camera sends without
 * a=rtpmap (sdp-transform knows none: `m=audio 0 RTP/AVP 8` alone gives no format), and resolving
 * a=control against the base URL (RFC 2326 §C.1.1).
 */
import { controlOf, parseSessionDescription } from '../../lib/sdp/description.js';
import { payloadFormats, type PayloadFormat } from '../../lib/sdp/payload-formats.js';
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
  const description = parseSessionDescription(text);
  if (description.media.length === 0) {
    throw new RtspError('protocol', 'the DESCRIBE reply has no SDP media section');
  }
  if (description.media.length > MAX_MEDIA) {
    throw new RtspError('protocol', `more than ${MAX_MEDIA} SDP media sections`);
  }
  const sessionControl = controlOf(description);
  const base = sessionControl === undefined ? baseUrl : resolveControl(sessionControl, baseUrl);
  const media = description.media.map((section) => {
    const control = controlOf(section);
    return {
      type: String(section.type ?? ''),
      formats: payloadFormats(section)
        .map(formatOf)
        .filter((f) => f !== undefined),
      controlUrl: control === undefined ? base : resolveControl(control, baseUrl),
    };
  });
  return { controlUrl: base, media };
}

function formatOf({ payloadType, rtpmap, parameters }: PayloadFormat): SdpFormat | undefined {
  if (rtpmap === undefined) {
    const known = STATIC_TYPES[payloadType];
    return known === undefined ? undefined : { payloadType, ...known, parameters };
  }
  const { clockRate } = rtpmap;
  if (clockRate === undefined || clockRate <= 0) return undefined;
  return {
    payloadType,
    encoding: rtpmap.encodingName.toUpperCase(),
    clockRate,
    channels: Number(rtpmap.encodingParameters) || 1,
    parameters,
  };
}

/** An absolute control URL stays; `*` is the base; anything else is relative to the base. */
export function resolveControl(control: string, base: string): string {
  if (/^rtsps?:\/\//i.test(control)) return control;
  if (control === '*' || control === '') return base;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}
