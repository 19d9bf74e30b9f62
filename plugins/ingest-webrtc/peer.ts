import {
  RTCPeerConnection,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  useH264,
  useOPUS,
  useSdesMid,
  useVP8,
  type MediaStreamTrack,
  type RTCRtpReceiver,
} from 'werift';
import { rewriteAnswer } from '../../lib/webrtc/answer.js';
import { onDtlsEnd } from '../../lib/webrtc/dtls-end.js';
import { relaxConsentDeadline } from '../../lib/webrtc/ice-consent.js';
import { answerWithCandidates } from '../../lib/webrtc/ice-gathering.js';
import { iceOptions } from '../../lib/webrtc/ice.js';
import { enlargeReceiveBuffers } from '../../lib/webrtc/udp-buffers.js';
import type { IngestWebRtcConfig } from './config.js';
import type { PreparedOffer } from './offer.js';

export type MediaKind = 'video' | 'audio';

export interface PeerEvents {
  /** ICE + DTLS are up. */
  onConnected(): void;
  /** The transport failed or closed; called once. */
  onGone(reason: string): void;
  onError(where: string, error: unknown): void;
  /** werift's nominated ICE pair was not found: its consent deadline stays at 500 ms (another werift?). */
  onConsentUnreachable?(): void;
}

const REMB_INTERVAL_MS = 1000;
/** Each ICE consent check may take 2 × this + 200 ms to be answered (werift: 500 ms), see lib/webrtc/ice-consent.ts. */
const CONSENT_RTT_FLOOR_S = 1;
/** Chromium grants about one keyframe per 400 ms; asking more often only adds RTCP traffic. */
const PLI_MIN_INTERVAL_MS = 300;

/**
 * The werift side of one publish: answers the (prepared) offer once candidate gathering is
 * complete (WHIP answers are not trickled), reports when the transport comes up or goes away,
 * and sends the feedback browsers need: PLI on demand, REMB every second so the sender's
 * estimate stays at `bitrate.maxKbps` (LIBRARY-NOTES: no transport-cc).
 */
export class PublisherPeer {
  private readonly pc: RTCPeerConnection;
  private readonly receivers = new Map<MediaKind, { receiver: RTCRtpReceiver; track: MediaStreamTrack }>();
  private readonly ssrcs = new Map<MediaKind, number>();
  private rembTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private lastPliMs = 0;
  private gone = false;
  /** SO_RCVBUF of each ICE socket as the kernel reports it (Linux: twice what it grants); [] = not reached. */
  receiveBufferSizes: number[] = [];

  constructor(
    private readonly offer: PreparedOffer,
    private readonly config: Readonly<IngestWebRtcConfig>,
    private readonly events: PeerEvents,
  ) {
    this.pc = new RTCPeerConnection({
      ...iceOptions(config.ice),
      codecs: {
        video: offer.video === undefined ? [] : [offer.video.codec === 'h264' ? useH264() : useVP8()],
        audio: offer.audio === undefined ? [] : [useOPUS()],
      },
      // The mid extension routes bundled packets; transport-cc stays out (see offer.ts).
      headerExtensions: { video: [useSdesMid()], audio: [useSdesMid()] },
    });
    this.pc.onTrack.subscribe((track) => this.guard('track', () => this.onTrack(track)));
    this.pc.connectionStateChange.subscribe((state) =>
      this.guard('connection state', () => this.onConnectionState(state)),
    );
  }

  /** The remote tracks, by kind, known once the offer is applied. */
  track(kind: MediaKind): MediaStreamTrack | undefined {
    return this.receivers.get(kind)?.track;
  }

  /** Applies the offer; resolves with the answer SDP once every candidate is gathered. */
  async answer(): Promise<string> {
    const sdp = await answerWithCandidates(this.pc, this.offer.sdp);
    this.guard('receive buffers', () => {
      this.receiveBufferSizes = enlargeReceiveBuffers(this.pc, this.config.ice.receiveBufferBytes);
    });
    onDtlsEnd(this.pc, (reason) => this.guard('DTLS state', () => this.goneBecause(reason)));
    const connectTimeoutMs = this.config.connectTimeoutMs;
    this.connectTimer = setTimeout(() => {
      this.guard('connect timeout', () =>
        this.goneBecause(`ICE/DTLS not connected within ${connectTimeoutMs} ms`),
      );
    }, connectTimeoutMs).unref();
    return rewriteAnswer(sdp, {
      ice: this.config.ice,
      videoPayloadType: this.offer.video?.payloadType,
      startBitrateKbps: this.config.bitrate.startKbps,
    });
  }

  /** Notes the sender's SSRC of a kind (from its first packet): PLI and REMB are addressed to it. */
  setSsrc(kind: MediaKind, ssrc: number): void {
    this.ssrcs.set(kind, ssrc);
  }

  /** Picture Loss Indication: the browser answers with a keyframe (~20–40 ms). */
  requestKeyframe(): void {
    const video = this.receivers.get('video');
    const ssrc = this.ssrcs.get('video');
    if (video === undefined || ssrc === undefined || this.gone) return;
    const now = Date.now();
    if (now - this.lastPliMs < PLI_MIN_INTERVAL_MS) return;
    this.lastPliMs = now;
    video.receiver.sendRtcpPLI(ssrc).catch((error: unknown) => this.events.onError('PLI', error));
  }

  async close(): Promise<void> {
    this.gone = true;
    clearTimeout(this.connectTimer);
    clearInterval(this.rembTimer);
    await this.pc.close();
  }

  private onTrack(track: MediaStreamTrack): void {
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    if (transceiver === undefined || (track.kind !== 'video' && track.kind !== 'audio')) return;
    this.receivers.set(track.kind, { receiver: transceiver.receiver, track });
  }

  private onConnectionState(state: string): void {
    if (state === 'connected') {
      clearTimeout(this.connectTimer);
      this.rembTimer ??= setInterval(() => {
        this.guard('REMB', () => this.sendRemb());
        this.guard('consent', () => relaxConsentDeadline(this.pc, CONSENT_RTT_FLOOR_S));
      }, REMB_INTERVAL_MS).unref();
      this.sendRemb();
      if (relaxConsentDeadline(this.pc, CONSENT_RTT_FLOOR_S) === 0) this.events.onConsentUnreachable?.();
      this.events.onConnected();
    } else if (state === 'failed') {
      this.goneBecause('ICE/DTLS failed');
    } else if (state === 'closed') {
      this.goneBecause('the peer closed the connection');
    }
  }

  private goneBecause(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    clearInterval(this.rembTimer);
    this.events.onGone(reason);
  }

  private sendRemb(): void {
    const video = this.receivers.get('video');
    const ssrc = this.ssrcs.get('video');
    if (video === undefined || ssrc === undefined || this.gone) return;
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: video.receiver.rtcpSsrc,
      mediaSsrc: 0,
      ...rembBitrate(this.config.bitrate.maxKbps * 1000),
      ssrcNum: 1,
      ssrcFeedbacks: [ssrc],
    });
    video.receiver.dtlsTransport
      .sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })])
      .catch((error: unknown) => this.events.onError('REMB', error));
  }

  private guard(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.events.onError(where, error);
    }
  }
}

/**
 * REMB carries mantissa × 2^exponent with an 18-bit mantissa; werift serializes these two fields
 * and ignores its `bitrate` field, so they are computed here.
 */
export function rembBitrate(bitsPerSecond: number): { brExp: number; brMantissa: number } {
  let mantissa = Math.round(bitsPerSecond);
  let exponent = 0;
  while (mantissa >= 2 ** 18) {
    mantissa = Math.floor(mantissa / 2);
    exponent++;
  }
  return { brExp: exponent, brMantissa: mantissa };
}
