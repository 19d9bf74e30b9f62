/**
 * The payload formats of a media section: its m= line's payload types with their a=rtpmap and
 * a=fmtp. The fmtp parameters are split here, not by sdp-transform's `parseParams`: that keeps the
 * names' case (a camera's `Packetization-Mode=1` would not be found as `packetization-mode`) and the
 * blanks around `=`, and gives numbers for values that read as numbers, while both plugins look
 * names up in lower case and compare the text written.
 */
import type { MediaDescription } from './description.js';
import { payloadTypes } from './media-line.js';

/** What a=rtpmap says of a payload type. */
export interface RtpMap {
  /** As written: H264, opus, MPEG4-GENERIC … */
  readonly encodingName: string;
  /** undefined when the line has none. */
  readonly clockRate?: number;
  /** Audio: the channel count, as written ('2'); undefined when the line has none. */
  readonly encodingParameters?: string;
}

export interface PayloadFormat {
  readonly payloadType: number;
  /** The first a=rtpmap of the payload type; undefined without one (RFC 3551 static types). */
  readonly rtpmap?: RtpMap;
  /** The first a=fmtp of the payload type: names lower-case, names and values trimmed. */
  readonly parameters: ReadonlyMap<string, string>;
}

/** Every payload type of the m= line, in its order. */
export function payloadFormats(media: MediaDescription): PayloadFormat[] {
  return payloadTypes(media).map((payloadType) => {
    const rtp = media.rtp.find((item) => samePayloadType(item.payload, payloadType));
    const fmtp = media.fmtp.find((item) => samePayloadType(item.payload, payloadType));
    return {
      payloadType,
      rtpmap: rtp === undefined ? undefined : rtpMap(rtp),
      parameters: fmtpParameters(fmtp === undefined ? '' : String(fmtp.config)),
    };
  });
}

/** `name=value;name=value` of an a=fmtp line; an item without `=` is skipped. */
export function fmtpParameters(text: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const item of text.split(';')) {
    const equals = item.indexOf('=');
    if (equals > 0) parameters.set(item.slice(0, equals).trim().toLowerCase(), item.slice(equals + 1).trim());
  }
  return parameters;
}

function rtpMap(rtp: MediaDescription['rtp'][number]): RtpMap {
  const rate = String(rtp.rate ?? '');
  const channels = String(rtp.encoding ?? '');
  return {
    encodingName: String(rtp.codec),
    clockRate: rate === '' ? undefined : Number(rate),
    encodingParameters: channels === '' ? undefined : channels,
  };
}

/** sdp-transform gives a payload type as a number, or as the text when it is not one (`096`). */
function samePayloadType(value: unknown, payloadType: number): boolean {
  return String(value) === String(payloadType);
}
