/**
 * Reads a WHIP offer before werift sees it: refuses what cannot be a WebRTC publish (400), picks the
 * one codec per kind Spool records (422 when there is none) and rewrites the offer so werift can
 * only answer with that codec. werift would otherwise answer with the first H.264 of any
 * packetization mode, and negotiate transport-wide congestion control, with which Chromium drops
 * to ~40 kbps (LIBRARY-NOTES): its feedback lines and header extension are removed here.
 *
 * The offer is parsed and written back with sdp-transform (lib/sdp), so werift gets its lines in
 * sdp-transform's order, and a line its grammar reads in part as far as it read it: `a=msid:STREAM`
 * (no track id) becomes `a=msid:STREAM undefined`, `a=msid-semantic: WMS` becomes
 * `a=msid-semantic:  WMS`. Spool uses neither. An m= line whose media type is not a word
 * (`m=video-x 9 …`) cannot be read by it and is answered 400 (malformed media line).
 */
import {
  parseSessionDescription,
  writeSessionDescription,
  type MediaDescription,
} from '../../lib/sdp/description.js';
import { mediaLine } from '../../lib/sdp/media-line.js';
import { payloadFormats } from '../../lib/sdp/payload-formats.js';

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

const TRANSPORT_CC = /transport-wide-cc|transport-cc/i;

export function prepareOffer(text: string): PreparedOffer {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw new OfferError(400, 'the body is not an SDP offer (it must start with v=0)');
  // sdp-transform silently skips a line that is not `x=…`: such an offer is refused instead.
  for (const line of lines) {
    if (!/^[a-z]=/.test(line))
      throw new OfferError(400, `malformed SDP line ${JSON.stringify(line.slice(0, 80))}`);
  }
  const description = parseSessionDescription(text);
  if (description.media.length === 0) throw new OfferError(400, 'the offer has no media section');
  let video: ChosenCodec<VideoChoice> | undefined;
  let audio: ChosenCodec<AudioChoice> | undefined;
  const refused: string[] = [];
  for (const [index, section] of description.media.entries()) {
    const line = mediaLine(section);
    if (line === undefined) {
      const written = lines.filter((l) => l.startsWith('m='))[index];
      throw new OfferError(400, `malformed media line ${JSON.stringify(written)}`);
    }
    const { type: kind, port, protocol } = line;
    if (kind !== 'audio' && kind !== 'video') {
      refuse(section, refused, `${kind} section ${index}`, 'only audio and video are taken');
      continue;
    }
    if (port === 0) continue;
    if (!protocol.includes('SAVPF')) {
      throw new OfferError(
        400,
        `media section ${index} is ${protocol}: WebRTC media must be DTLS-SRTP (SAVPF)`,
      );
    }
    for (const [name, key] of ICE_AND_DTLS) {
      if (section[key] === undefined && description[key] === undefined) {
        throw new OfferError(400, `media section ${index} has no a=${name}`);
      }
    }
    if (section.direction === 'recvonly' || section.direction === 'inactive') {
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
  return { sdp: writeSessionDescription(description), video, audio, refused };
}

/** The attributes WebRTC media needs, in the section or for the whole session. */
const ICE_AND_DTLS = [
  ['ice-ufrag', 'iceUfrag'],
  ['ice-pwd', 'icePwd'],
  ['fingerprint', 'fingerprint'],
] as const;

interface Codec {
  readonly payloadType: number;
  readonly name: string;
  readonly clockRate: number;
  readonly parameters: Record<string, string>;
}

/** The section's codecs in the publisher's order of preference (the m= line's order). */
function codecsOf(section: MediaDescription): Codec[] {
  return payloadFormats(section).flatMap(({ payloadType, rtpmap, parameters }) => {
    if (rtpmap?.clockRate === undefined) return [];
    return [
      {
        payloadType,
        name: rtpmap.encodingName.toLowerCase(),
        clockRate: rtpmap.clockRate,
        parameters: Object.fromEntries(parameters),
      },
    ];
  });
}

function pickVideo(section: MediaDescription): ChosenCodec<VideoChoice> | undefined {
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

function pickAudio(section: MediaDescription): ChosenCodec<AudioChoice> | undefined {
  const opus = codecsOf(section).find((codec) => codec.name === 'opus' && codec.clockRate === 48000);
  return opus === undefined
    ? undefined
    : { codec: 'opus', payloadType: opus.payloadType, parameters: opus.parameters };
}

/** Leaves one payload type in the section and drops transport-wide congestion control. */
function keepOnly(section: MediaDescription, payloadType: number): void {
  // a=rtcp-fb:* applies to whichever payload type stays.
  const kept = (payload: number | string) => payload === '*' || String(payload) === String(payloadType);
  section.payloads = String(payloadType);
  section.rtp = section.rtp.filter((rtpmap) => kept(rtpmap.payload));
  section.fmtp = section.fmtp.filter((fmtp) => kept(fmtp.payload));
  section.rtcpFbTrrInt = section.rtcpFbTrrInt?.filter((feedback) => kept(feedback.payload));
  section.rtcpFb = section.rtcpFb?.filter(
    (feedback) => kept(feedback.payload) && !TRANSPORT_CC.test(`${feedback.type} ${feedback.subtype ?? ''}`),
  );
  section.ext = section.ext?.filter((extension) => !TRANSPORT_CC.test(extension.uri));
  // RTX and FEC streams belong to the payload types just removed.
  delete section.ssrcGroups;
}

/** A section Spool does not take: port 0, which the answer mirrors (RFC 8843: rejected). */
function refuse(section: MediaDescription, refused: string[], what: string, why: string): void {
  section.port = 0;
  refused.push(`${what}: ${why}`);
}
