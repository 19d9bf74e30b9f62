import type { RTCPeerConnectionConfig } from 'werift';
import type { IceSettings } from '../../../lib/webrtc/ice-config.js';
import { iceOptions } from '../../../lib/webrtc/ice.js';

/**
 * SDP offers for the unit tests, shaped like Chromium's (a WHIP publisher's sendonly offer):
 * codec lists, feedback lines and header extensions as Chromium 13x writes them, shortened.
 */

export interface OfferOptions {
  /** Video payloads as `PT name/clock [fmtp]`, in the offer's order; [] = no video section. */
  readonly video?: readonly string[];
  readonly audio?: readonly string[];
  readonly direction?: 'sendonly' | 'sendrecv' | 'recvonly' | 'inactive';
  readonly proto?: string;
  readonly withIce?: boolean;
}

const FINGERPRINT =
  'sha-256 99:9A:55:CA:65:3C:B7:71:09:C9:95:32:A2:18:60:AB:57:E3:95:1C:BE:FB:68:2A:49:D1:61:C1:11:1F:DF:32';

export const CHROMIUM_VIDEO = [
  '102 H264/90000 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  '103 rtx/90000 apt=102',
  '104 H264/90000 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  '96 VP8/90000',
  '97 rtx/90000 apt=96',
  '98 VP9/90000 profile-id=0',
];
export const CHROMIUM_AUDIO = ['111 opus/48000/2 minptime=10;useinbandfec=1', '0 PCMU/8000'];

function section(
  kind: 'audio' | 'video',
  mid: number,
  payloads: readonly string[],
  options: OfferOptions,
): string[] {
  const types = payloads.map((p) => p.split(' ')[0]!);
  const lines = [
    `m=${kind} 9 ${options.proto ?? 'UDP/TLS/RTP/SAVPF'} ${types.join(' ')}`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    ...(options.withIce === false ? [] : ['a=ice-ufrag:0U0H', 'a=ice-pwd:nlAoDUNygMT2ZW2azReysIar']),
    `a=fingerprint:${FINGERPRINT}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    `a=${options.direction ?? 'sendonly'}`,
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
  for (const payload of payloads) {
    const [type, codec, fmtp] = payload.split(' ');
    lines.push(`a=rtpmap:${type} ${codec}`);
    if (kind === 'video' && !codec!.startsWith('rtx')) {
      for (const fb of ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli'])
        lines.push(`a=rtcp-fb:${type} ${fb}`);
    }
    if (kind === 'audio' && codec!.startsWith('opus')) lines.push(`a=rtcp-fb:${type} transport-cc`);
    if (fmtp !== undefined) lines.push(`a=fmtp:${type} ${fmtp}`);
  }
  lines.push(`a=ssrc-group:FID ${1000 + mid} ${2000 + mid}`, `a=ssrc:${1000 + mid} cname:spooltest`);
  return lines;
}

/** A whole offer: audio (mid 0) then video (mid 1), as Chromium orders a getUserMedia stream. */
export function chromiumOffer(options: OfferOptions = {}): string {
  const audio = options.audio ?? CHROMIUM_AUDIO;
  const video = options.video ?? CHROMIUM_VIDEO;
  const mids = [audio.length > 0 ? '0' : undefined, video.length > 0 ? '1' : undefined].filter(Boolean);
  const lines = [
    'v=0',
    'o=- 7963215739480985786 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    ...(audio.length > 0 ? section('audio', 0, audio, options) : []),
    ...(video.length > 0 ? section('video', 1, video, options) : []),
  ];
  return lines.join('\r\n') + '\r\n';
}

/** ICE settings as the config's defaults give them, with `overrides`. */
export function iceSettings(overrides: Partial<IceSettings> = {}): IceSettings {
  return {
    addresses: [],
    publicAddress: '',
    portMin: 0,
    portMax: 0,
    ipv6: false,
    receiveBufferBytes: 4194304,
    ...overrides,
  };
}

/** werift's ICE on 127.0.0.1 only, as Spool configures it for tests (ingest-webrtc.ice.addresses). */
export const LOOPBACK_ICE: RTCPeerConnectionConfig = iceOptions(iceSettings({ addresses: ['127.0.0.1'] }));
