import { RtspError } from './rtsp-error.js';

/** What a SETUP reply's Transport header settled (RFC 2326 §12.39). */
export interface AgreedTransport {
  /** TCP: the interleaved channels for RTP and RTCP. */
  readonly channels?: readonly [number, number];
  /** UDP: the camera's RTP and RTCP ports. */
  readonly serverPorts?: readonly [number, number];
}

/** The Transport header a SETUP asks with. */
export function requestTransport(
  mode: 'tcp' | 'udp',
  track: number,
  clientPorts?: readonly [number, number],
): string {
  if (mode === 'tcp') return `RTP/AVP/TCP;unicast;interleaved=${track * 2}-${track * 2 + 1}`;
  return `RTP/AVP;unicast;client_port=${clientPorts![0]}-${clientPorts![1]}`;
}

/** Reads the camera's answer; throws when it gave no usable channels or ports. */
export function parseTransport(
  value: string | undefined,
  mode: 'tcp' | 'udp',
  track: number,
): AgreedTransport {
  const fields = new Map<string, string>();
  // A reply may list alternatives separated by commas; the first is the one set up.
  for (const part of (value ?? '').split(',')[0]!.split(';')) {
    const equals = part.indexOf('=');
    fields.set(
      (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase(),
      equals === -1 ? '' : part.slice(equals + 1).trim(),
    );
  }
  if (mode === 'tcp') {
    if (value !== undefined && !/\/TCP/i.test(value.split(';')[0] ?? '')) {
      throw new RtspError(
        'unsupported',
        `the camera answered SETUP over TCP with ${JSON.stringify(value)}; try transport udp`,
      );
    }
    const channels = pair(fields.get('interleaved'), 255) ?? [track * 2, track * 2 + 1];
    return { channels };
  }
  const serverPorts = pair(fields.get('server_port'), 65535);
  if (serverPorts === undefined) {
    throw new RtspError('protocol', `the SETUP reply names no server_port: ${JSON.stringify(value ?? '')}`);
  }
  return { serverPorts };
}

/** "a-b" (or "a", meaning a and a+1) within 0..max. */
function pair(text: string | undefined, max: number): [number, number] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text ?? '');
  if (match === null) return undefined;
  const first = Number(match[1]);
  const second = match[2] === undefined ? first + 1 : Number(match[2]);
  return first <= max && second <= max ? [first, second] : undefined;
}

/** RTP-Info's rtptime per control URL (RFC 2326 §12.33); matched by URL suffix, cameras vary. */
export function parseRtpInfo(
  value: string | undefined,
  controlUrls: readonly string[],
): Array<number | undefined> {
  const entries = (value ?? '').split(',').map((entry) => {
    const fields = new Map<string, string>();
    for (const part of entry.split(';')) {
      const equals = part.indexOf('=');
      if (equals > 0) fields.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
    }
    return fields;
  });
  return controlUrls.map((control) => {
    const entry = entries.find((fields) => {
      const url = fields.get('url');
      return url !== undefined && (url === control || control.endsWith(url) || url.endsWith(control));
    });
    const rtptime = entry?.get('rtptime');
    return rtptime !== undefined && /^\d{1,10}$/.test(rtptime) ? Number(rtptime) >>> 0 : undefined;
  });
}
