import {
  MediaStreamTrack,
  RTCPeerConnection,
  useH264,
  useNACK,
  useOPUS,
  usePCMA,
  usePCMU,
  usePLI,
  useSdesMid,
  useVP8,
  type RTCRtpCodecParameters,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';
import { rewriteAnswer } from '../../lib/webrtc/answer.js';
import { onDtlsEnd } from '../../lib/webrtc/dtls-end.js';
import { relaxConsentDeadline } from '../../lib/webrtc/ice-consent.js';
import { answerWithCandidates } from '../../lib/webrtc/ice-gathering.js';
import { iceOptions } from '../../lib/webrtc/ice.js';
import type { IceSettings } from '../../lib/webrtc/ice-config.js';
import type { ChosenAudio, ChosenVideo, CodecChoice } from './codec-choice.js';

export type MediaKind = 'video' | 'audio';

export interface ViewerPeerEvents {
  /** ICE + DTLS are up: packets can be sent. */
  onConnected(): void;
  /** The transport failed or closed, or never connected in time; called once. */
  onGone(reason: string): void;
  /** The viewer asked for a keyframe (PLI). */
  onKeyframeRequest(): void;
  /** Any RTCP from the viewer (receiver reports): it is still there. */
  onFeedback(): void;
  onError(where: string, error: unknown): void;
}

/** Each ICE consent check may take 2 × this + 200 ms to be answered (werift: 500 ms), see lib/webrtc/ice-consent.ts. */
const CONSENT_RTT_FLOOR_S = 1;
const CONSENT_REFRESH_MS = 1000;

/**
 * The werift side of one WHEP viewer: a sendonly transceiver per chosen kind, added before the offer
 * is applied so werift pairs them with the viewer's recvonly sections; the answer once candidate
 * gathering is complete (not trickled). The codecs given to werift are exactly the offered ones
 * chosen (payload type and fmtp: werift answers H.264 only for an identical profile-level-id), with
 * NACK and PLI feedback: werift's sender keeps the last 128 packets per track and answers NACKs from
 * them, sends RTCP sender reports, and reports PLIs, which become keyframe requests on the bus.
 */
export class ViewerPeer {
  private readonly pc: RTCPeerConnection;
  private readonly senders = new Map<MediaKind, RTCRtpSender>();
  private connectTimer: NodeJS.Timeout | undefined;
  private consentTimer: NodeJS.Timeout | undefined;
  private gone = false;
  connected = false;

  constructor(
    choice: CodecChoice,
    private readonly ice: Readonly<IceSettings>,
    private readonly connectTimeoutMs: number,
    private readonly events: ViewerPeerEvents,
  ) {
    this.pc = new RTCPeerConnection({
      ...iceOptions(ice),
      codecs: {
        video: choice.video === undefined ? [] : [videoCodec(choice.video)],
        audio: choice.audio === undefined ? [] : [audioCodec(choice.audio)],
      },
      headerExtensions: { video: [useSdesMid()], audio: [useSdesMid()] },
    });
    for (const kind of ['video', 'audio'] as const) {
      if (choice[kind] === undefined) continue;
      const transceiver = this.pc.addTransceiver(new MediaStreamTrack({ kind }), { direction: 'sendonly' });
      this.senders.set(kind, transceiver.sender);
      transceiver.sender.onPictureLossIndication.subscribe(() =>
        this.guard('PLI', () => this.events.onKeyframeRequest()),
      );
      transceiver.sender.onRtcp.subscribe(() => this.guard('RTCP', () => this.events.onFeedback()));
    }
    this.pc.connectionStateChange.subscribe((state) =>
      this.guard('connection state', () => this.onConnectionState(state)),
    );
  }

  /** Applies the (answerable) offer; resolves with the answer SDP once every candidate is gathered. */
  async answer(offerSdp: string): Promise<string> {
    const sdp = await answerWithCandidates(this.pc, offerSdp);
    onDtlsEnd(this.pc, (reason) => this.guard('DTLS state', () => this.goneBecause(reason)));
    this.connectTimer = setTimeout(() => {
      this.guard('connect timeout', () =>
        this.goneBecause(`ICE/DTLS not connected within ${this.connectTimeoutMs} ms`),
      );
    }, this.connectTimeoutMs).unref();
    // No x-google-start-bitrate: that tells a browser how fast to send, and a viewer sends no media.
    return rewriteAnswer(sdp, { ice: this.ice, startBitrateKbps: 0 });
  }

  /** Sends one packet of a kind; dropped by werift until DTLS is up. */
  send(kind: MediaKind, packet: RtpPacket): void {
    const sender = this.senders.get(kind);
    if (sender === undefined || this.gone) return;
    sender.sendRtp(packet).catch((error: unknown) => this.events.onError(`${kind} RTP`, error));
  }

  async close(): Promise<void> {
    this.gone = true;
    clearTimeout(this.connectTimer);
    clearInterval(this.consentTimer);
    await this.pc.close();
  }

  private onConnectionState(state: string): void {
    if (state === 'connected') {
      if (this.connected) return;
      this.connected = true;
      clearTimeout(this.connectTimer);
      relaxConsentDeadline(this.pc, CONSENT_RTT_FLOOR_S);
      this.consentTimer = setInterval(
        () => this.guard('consent', () => relaxConsentDeadline(this.pc, CONSENT_RTT_FLOOR_S)),
        CONSENT_REFRESH_MS,
      ).unref();
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
    clearTimeout(this.connectTimer);
    clearInterval(this.consentTimer);
    this.events.onGone(reason);
  }

  private guard(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.events.onError(where, error);
    }
  }
}

function videoCodec(video: ChosenVideo): RTCRtpCodecParameters {
  const feedback = [useNACK(), usePLI()];
  const { payloadType, fmtp } = video.codec;
  return video.kind === 'h264'
    ? useH264({ payloadType, parameters: fmtp, rtcpFeedback: feedback })
    : useVP8({ payloadType, rtcpFeedback: feedback });
}

function audioCodec(audio: ChosenAudio): RTCRtpCodecParameters {
  const { payloadType, fmtp } = audio.codec;
  if (audio.kind === 'pcmu') return usePCMU({ payloadType });
  if (audio.kind === 'pcma') return usePCMA({ payloadType });
  return useOPUS({ payloadType, ...(fmtp === '' ? {} : { parameters: fmtp }) });
}
