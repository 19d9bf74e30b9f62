/**
 * Reads a WHEP offer before werift sees it: refuses what cannot be a WebRTC viewer (400), and lists
 * what each audio and video section can receive. The codec choice against the stream's tracks is
 * codec-choice.ts; `answerableOffer` then leaves werift one payload type per section, so it can only
 * answer with the codec Spool will send.
 */
import {
  parseSessionDescription,
  writeSessionDescription,
  type MediaDescription,
  type SessionDescription,
} from '../../lib/sdp/description.js';
import { mediaLine } from '../../lib/sdp/media-line.js';
import { payloadFormats } from '../../lib/sdp/payload-formats.js';

export class OfferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfferError';
  }
}

/** One codec a section offers, as written (name lower-case). */
export interface OfferedCodec {
  readonly payloadType: number;
  readonly name: string;
  readonly clockRate: number;
  readonly channels?: number;
  /** a=fmtp as written, for werift (it must match the offer's to be answered). */
  readonly fmtp: string;
  readonly parameters: ReadonlyMap<string, string>;
}

export interface OfferedSection {
  readonly index: number;
  readonly kind: 'audio' | 'video';
  /** The viewer's order of preference (the m= line's). */
  readonly codecs: readonly OfferedCodec[];
}

export interface WhepOffer {
  readonly description: SessionDescription;
  /** Sections that can receive: audio and video, not rejected, recvonly or sendrecv. */
  readonly sections: readonly OfferedSection[];
}

const TRANSPORT_CC = /transport-wide-cc|transport-cc/i;
const ICE_AND_DTLS = [
  ['ice-ufrag', 'iceUfrag'],
  ['ice-pwd', 'icePwd'],
  ['fingerprint', 'fingerprint'],
] as const;

export function readWhepOffer(text: string): WhepOffer {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw new OfferError('the body is not an SDP offer (it must start with v=0)');
  for (const line of lines) {
    if (!/^[a-z]=/.test(line))
      throw new OfferError(`malformed SDP line ${JSON.stringify(line.slice(0, 80))}`);
  }
  const description = parseSessionDescription(text);
  if (description.media.length === 0) throw new OfferError('the offer has no media section');
  const sections: OfferedSection[] = [];
  for (const [index, section] of description.media.entries()) {
    const line = mediaLine(section);
    if (line === undefined) throw new OfferError(`malformed media line in section ${index}`);
    if ((line.type !== 'audio' && line.type !== 'video') || line.port === 0) continue;
    if (!line.protocol.includes('SAVPF')) {
      throw new OfferError(
        `media section ${index} is ${line.protocol}: WebRTC media must be DTLS-SRTP (SAVPF)`,
      );
    }
    for (const [name, key] of ICE_AND_DTLS) {
      if (section[key] === undefined && description[key] === undefined) {
        throw new OfferError(`media section ${index} has no a=${name}`);
      }
    }
    if (section.direction === 'sendonly' || section.direction === 'inactive') continue;
    sections.push({ index, kind: line.type, codecs: codecsOf(section) });
  }
  return { description, sections };
}

function codecsOf(section: MediaDescription): OfferedCodec[] {
  return payloadFormats(section).flatMap(({ payloadType, rtpmap, parameters }) => {
    if (rtpmap?.clockRate === undefined) return staticCodec(payloadType, parameters);
    const fmtp = section.fmtp.find((item) => String(item.payload) === String(payloadType));
    const channels = rtpmap.encodingParameters === undefined ? undefined : Number(rtpmap.encodingParameters);
    return [
      {
        payloadType,
        name: rtpmap.encodingName.toLowerCase(),
        clockRate: rtpmap.clockRate,
        channels,
        fmtp: fmtp === undefined ? '' : String(fmtp.config),
        parameters,
      },
    ];
  });
}

/** PCMU (0) and PCMA (8) may come without an a=rtpmap (RFC 3551 static payload types). */
function staticCodec(payloadType: number, parameters: ReadonlyMap<string, string>): OfferedCodec[] {
  const name = payloadType === 0 ? 'pcmu' : payloadType === 8 ? 'pcma' : undefined;
  return name === undefined
    ? []
    : [{ payloadType, name, clockRate: 8000, channels: 1, fmtp: '', parameters }];
}

/**
 * The offer werift answers: each section Spool sends on keeps only its chosen payload type (RTX,
 * RED and FEC go with the others; transport-wide congestion control is left out, as Spool does no
 * sender-side bandwidth estimation), and every other section is rejected (port 0, RFC 8843).
 */
export function answerableOffer(offer: WhepOffer, chosen: ReadonlyMap<number, number>): string {
  const description = structuredClone(offer.description);
  for (const [index, section] of description.media.entries()) {
    const payloadType = chosen.get(index);
    if (payloadType === undefined) {
      section.port = 0;
      continue;
    }
    const kept = (payload: number | string) => payload === '*' || String(payload) === String(payloadType);
    section.payloads = String(payloadType);
    section.rtp = section.rtp.filter((rtpmap) => kept(rtpmap.payload));
    section.fmtp = section.fmtp.filter((fmtp) => kept(fmtp.payload));
    section.rtcpFbTrrInt = section.rtcpFbTrrInt?.filter((feedback) => kept(feedback.payload));
    section.rtcpFb = section.rtcpFb?.filter(
      (feedback) =>
        kept(feedback.payload) && !TRANSPORT_CC.test(`${feedback.type} ${feedback.subtype ?? ''}`),
    );
    section.ext = section.ext?.filter((extension) => !TRANSPORT_CC.test(extension.uri));
    delete section.ssrcGroups;
  }
  return writeSessionDescription(description);
}
