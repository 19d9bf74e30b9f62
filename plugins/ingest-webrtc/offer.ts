/**
 * Reads a WHIP offer before werift sees it: refuses what cannot be a WebRTC publish (400), picks the
 * one codec per kind Spool records (422 when there is none) and rewrites the offer so werift can
 * only answer with that codec. werift would otherwise answer with the first H.264 of any
 * packetization mode, and negotiate transport-wide congestion control, with which Chromium drops
 * to ~40 kbps (LIBRARY-NOTES): its feedback lines and header extension are removed here.
 */

export type VideoChoice = 'h264' | 'vp8';
export type AudioChoice = 'opus';

export interface ChosenCodec<C> {
  readonly codec: C;
  readonly payloadType: number;
  /** The a=fmtp parameters the publisher offered, e.g. stereo=1 for Opus. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface PreparedOffer {
  /** The offer to hand to werift. */
  readonly sdp: string;
  readonly video?: ChosenCodec<VideoChoice>;
  readonly audio?: ChosenCodec<AudioChoice>;
  /** Media sections refused (port 0), with why, for the log. */
  readonly refused: readonly string[];
}

export class OfferError extends Error {
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'OfferError';
  }
}

interface Section {
  lines: string[];
}

const TRANSPORT_CC = /transport-wide-cc|transport-cc/i;

export function prepareOffer(text: string): PreparedOffer {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw new OfferError(400, 'the body is not an SDP offer (it must start with v=0)');
  const session: string[] = [];
  const sections: Section[] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line))
      throw new OfferError(400, `malformed SDP line ${JSON.stringify(line.slice(0, 80))}`);
    if (line.startsWith('m=')) sections.push({ lines: [line] });
    else if (sections.length === 0) session.push(line);
    else sections.at(-1)!.lines.push(line);
  }
  if (sections.length === 0) throw new OfferError(400, 'the offer has no media section');
  const sessionAttribute = (name: string) => session.some((line) => line.startsWith(`a=${name}:`));
  let video: ChosenCodec<VideoChoice> | undefined;
  let audio: ChosenCodec<AudioChoice> | undefined;
  const refused: string[] = [];
  for (const [index, section] of sections.entries()) {
    const [, kind, port, proto] = /^m=(\S+) (\d+) (\S+)/.exec(section.lines[0]!) ?? [];
    if (kind === undefined)
      throw new OfferError(400, `malformed media line ${JSON.stringify(section.lines[0])}`);
    const attribute = (name: string) => section.lines.some((line) => line.startsWith(`a=${name}:`));
    if (kind !== 'audio' && kind !== 'video') {
      refuse(section, refused, `${kind} section ${index}`, 'only audio and video are taken');
      continue;
    }
    if (port === '0') continue;
    if (!proto!.includes('SAVPF')) {
      throw new OfferError(400, `media section ${index} is ${proto}: WebRTC media must be DTLS-SRTP (SAVPF)`);
    }
    for (const name of ['ice-ufrag', 'ice-pwd', 'fingerprint']) {
      if (!attribute(name) && !sessionAttribute(name)) {
        throw new OfferError(400, `media section ${index} has no a=${name}`);
      }
    }
    if (section.lines.some((line) => line === 'a=recvonly' || line === 'a=inactive')) {
      refuse(section, refused, `${kind} section ${index}`, 'it sends nothing (recvonly/inactive)');
      continue;
    }
    if ((kind === 'video' && video !== undefined) || (kind === 'audio' && audio !== undefined)) {
      refuse(section, refused, `${kind} section ${index}`, `one ${kind} track per publish`);
      continue;
    }
    const chosen = kind === 'video' ? pickVideo(section) : pickAudio(section);
    if (chosen === undefined) {
      const wanted = kind === 'video' ? 'H.264 (packetization-mode=1) or VP8' : 'Opus';
      refuse(section, refused, `${kind} section ${index}`, `no ${wanted} offered`);
      continue;
    }
    keepOnly(section, chosen.payloadType);
    if (kind === 'video') video = chosen as ChosenCodec<VideoChoice>;
    else audio = chosen as ChosenCodec<AudioChoice>;
  }
  if (video === undefined && audio === undefined) {
    throw new OfferError(
      422,
      `no usable codec: Spool takes H.264 (packetization-mode=1) or VP8 video and Opus audio (${refused.join('; ')})`,
    );
  }
  const sdp = [...session, ...sections.flatMap((s) => s.lines)].join('\r\n') + '\r\n';
  return { sdp, video, audio, refused };
}

interface Codec {
  readonly payloadType: number;
  readonly name: string;
  readonly clockRate: number;
  readonly parameters: Record<string, string>;
}

/** The section's codecs in the publisher's order of preference (the m= line's order). */
function codecsOf(section: Section): Codec[] {
  const formats = section.lines[0]!.split(' ').slice(3).map(Number);
  return formats.flatMap((payloadType) => {
    const rtpmap = section.lines.find((line) => line.startsWith(`a=rtpmap:${payloadType} `));
    const match = /^a=rtpmap:\d+ ([^/\s]+)\/(\d+)/.exec(rtpmap ?? '');
    if (match === null) return [];
    const fmtp = section.lines.find((line) => line.startsWith(`a=fmtp:${payloadType} `));
    return [
      {
        payloadType,
        name: match[1]!.toLowerCase(),
        clockRate: Number(match[2]),
        parameters: parseParameters(fmtp?.slice(fmtp.indexOf(' ') + 1) ?? ''),
      },
    ];
  });
}

function parseParameters(text: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const item of text.split(';')) {
    const eq = item.indexOf('=');
    if (eq > 0) parameters[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1).trim();
  }
  return parameters;
}

function pickVideo(section: Section): ChosenCodec<VideoChoice> | undefined {
  for (const codec of codecsOf(section)) {
    if (codec.clockRate !== 90000) continue;
    if (codec.name === 'vp8')
      return { codec: 'vp8', payloadType: codec.payloadType, parameters: codec.parameters };
    // Mode 0 (one NAL unit per packet) is not what browsers send at WebRTC bitrates; mode 1 is.
    if (codec.name === 'h264' && codec.parameters['packetization-mode'] === '1') {
      return { codec: 'h264', payloadType: codec.payloadType, parameters: codec.parameters };
    }
  }
  return undefined;
}

function pickAudio(section: Section): ChosenCodec<AudioChoice> | undefined {
  const opus = codecsOf(section).find((codec) => codec.name === 'opus' && codec.clockRate === 48000);
  return opus === undefined
    ? undefined
    : { codec: 'opus', payloadType: opus.payloadType, parameters: opus.parameters };
}

/** Leaves one payload type in the section and drops transport-wide congestion control. */
function keepOnly(section: Section, payloadType: number): void {
  const [media, port, proto] = section.lines[0]!.split(' ');
  section.lines = [
    [media, port, proto, String(payloadType)].join(' '),
    ...section.lines.slice(1).filter((line) => {
      const format = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/.exec(line);
      if (format !== null && format[1] !== '*' && Number(format[1]) !== payloadType) return false;
      if (line.startsWith('a=rtcp-fb:') && TRANSPORT_CC.test(line)) return false;
      if (line.startsWith('a=extmap:') && TRANSPORT_CC.test(line)) return false;
      // RTX and FEC streams belong to the payload types just removed.
      if (line.startsWith('a=ssrc-group:')) return false;
      return true;
    }),
  ];
}

/** A section Spool does not take: port 0, which the answer mirrors (RFC 8843: rejected). */
function refuse(section: Section, refused: string[], what: string, why: string): void {
  const parts = section.lines[0]!.split(' ');
  parts[1] = '0';
  section.lines[0] = parts.join(' ');
  refused.push(`${what}: ${why}`);
}
