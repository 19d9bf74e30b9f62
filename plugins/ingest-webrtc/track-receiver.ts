import type { MediaStreamTrack, RtcpPacket, RtpPacket } from 'werift';
import {
  DepacketizeCallback,
  JitterBufferCallback,
  RtcpSrPacket,
  RtpSourceCallback,
} from 'werift/nonstandard';
import type { SenderReport } from './media-clock.js';
import type { AudioChoice, VideoChoice } from './offer.js';

export interface ReceivedFrame {
  /** H.264: Annex-B; VP8 and Opus: raw. */
  readonly data: Uint8Array;
  /** The RTP timestamp (32-bit) shared by the frame's packets. */
  readonly rtpTimestamp: number;
}

export interface TrackReceiverHandlers {
  onFrame(frame: ReceivedFrame): void;
  /** Packets were given up on (not retransmitted in time): video must wait for a keyframe. */
  onLoss(): void;
  onSenderReport(report: SenderReport): void;
  /** Called for each RTP packet, before reordering: the peer is alive. */
  onPacket(ssrc: number, sizeBytes: number): void;
  /** A handler threw: reported, never thrown back into werift. */
  onError(error: unknown): void;
}

const DEPACKETIZER = { h264: 'MPEG4/ISO/AVC', vp8: 'VP8', opus: 'OPUS' } as const;

/**
 * One received track: werift's reorder (jitter) buffer, then its depacketizer. NACKs for missing
 * video packets are sent by werift's receiver; the jitter buffer waits `latencyMs` (of RTP time)
 * for the retransmission before it reports the loss.
 */
export class TrackReceiver {
  private readonly source = new RtpSourceCallback();
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;

  constructor(
    track: MediaStreamTrack,
    codec: VideoChoice | AudioChoice,
    latencyMs: number,
    private readonly handlers: TrackReceiverHandlers,
  ) {
    const clockRate = codec === 'opus' ? 48000 : 90000;
    const jitter = new JitterBufferCallback(clockRate, { latency: latencyMs });
    const depacketizer = new DepacketizeCallback(
      DEPACKETIZER[codec],
      // Audio packets are frames; a video frame ends with the packet that has the marker bit.
      codec === 'opus' ? {} : { isFinalPacketInSequence: (header) => header.marker },
    );
    this.source.pipe((input) => jitter.input(input));
    jitter.pipe((output) => {
      if (output.isPacketLost !== undefined) this.guard(() => handlers.onLoss());
      depacketizer.input(output);
    });
    depacketizer.pipe(({ frame }) => {
      if (frame === undefined || frame.data.length === 0) return;
      const rtpTimestamp = frame.timestamp as number;
      this.guard(() => handlers.onFrame({ data: frame.data, rtpTimestamp }));
    });
    const rtp = track.onReceiveRtp.subscribe((packet: RtpPacket) => this.onRtp(packet));
    const rtcp = track.onReceiveRtcp.subscribe((packet: RtcpPacket) => this.onRtcp(packet));
    this.unsubscribe.push(rtp.unSubscribe, rtcp.unSubscribe);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.source.destroy();
  }

  private onRtp(packet: RtpPacket): void {
    if (this.stopped) return;
    this.guard(() => {
      this.handlers.onPacket(packet.header.ssrc, packet.payload.length);
      // The depacketizer clears the payload of packets it consumed, and every subscriber of
      // onReceiveRtp gets the same object (LIBRARY-NOTES): work on a copy.
      this.source.input(packet.clone());
    });
  }

  private onRtcp(packet: RtcpPacket): void {
    if (this.stopped || packet.type !== RtcpSrPacket.type) return;
    const { senderInfo } = packet as RtcpSrPacket;
    this.guard(() =>
      this.handlers.onSenderReport({
        ntpSeconds: ntpSeconds(senderInfo.ntpTimestamp),
        rtpTimestamp: senderInfo.rtpTimestamp,
      }),
    );
  }

  /** werift calls us from its socket handlers: an exception there must not reach it. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.handlers.onError(error);
    }
  }
}

/**
 * NTP 32.32 fixed point → seconds. (werift's ntpTime2Sec reads the fraction's integer as decimal
 * digits: 0.5 s becomes 0.2147… s.)
 */
export function ntpSeconds(ntp: bigint): number {
  return Number(ntp >> 32n) + Number(ntp & 0xffffffffn) / 2 ** 32;
}
