import type { MediaStreamTrack, RtcpPacket, RtpPacket } from 'werift';
import {
  DepacketizeCallback,
  JitterBufferCallback,
  RtcpSrPacket,
  RtpSourceCallback,
  type JitterBufferOutput,
} from 'werift/nonstandard';
import { h264 } from '../../lib/codecs/index.js';
import { H264Depacketizer } from '../../lib/rtp/h264-depacketizer.js';
import type { RtpPacket as LibRtpPacket } from '../../lib/rtp/rtp.js';
import type { SenderReport } from './media-clock.js';
import type { AudioChoice, VideoChoice } from './offer.js';

export interface ReceivedFrame {
  /** H.264: AVCC (4-byte lengths), every NAL unit of the picture; VP8 and Opus: raw. */
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

const WERIFT_DEPACKETIZER = { vp8: 'VP8', opus: 'OPUS' } as const;

/**
 * Far above any browser's picture (a 1080p keyframe is well under 1 MB); the bound only keeps a
 * broken sender from growing one picture without end. ingest-rtsp's maxFrameBytes default.
 */
const MAX_H264_PICTURE_BYTES = 8 * 1024 * 1024;

/**
 * One received track: werift's reorder (jitter) buffer, then a depacketizer. NACKs for missing
 * video packets are sent by werift's receiver; the jitter buffer waits `latencyMs` (of RTP time)
 * for the retransmission before it reports the loss. H.264 goes through lib/rtp's depacketizer,
 * the one ingest-rtsp uses (werift's took 6–8x the CPU and merges pictures that lack the marker
 * bit: docs/PERFORMANCE.md); VP8 and Opus through werift's.
 */
export class TrackReceiver {
  private readonly source = new RtpSourceCallback();
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;
  /** A loss was reported since the last whole picture (H.264). */
  private lossReported = false;

  constructor(
    track: MediaStreamTrack,
    codec: VideoChoice | AudioChoice,
    latencyMs: number,
    private readonly handlers: TrackReceiverHandlers,
  ) {
    const clockRate = codec === 'opus' ? 48000 : 90000;
    const jitter = new JitterBufferCallback(clockRate, { latency: latencyMs });
    const depacketize = codec === 'h264' ? this.h264Depacketizer() : this.weriftDepacketizer(codec);
    this.source.pipe((input) => jitter.input(input));
    jitter.pipe((output) => {
      if (output.isPacketLost !== undefined) this.reportLoss();
      depacketize(output);
    });
    const rtp = track.onReceiveRtp.subscribe((packet: RtpPacket) => this.onRtp(packet));
    const rtcp = track.onReceiveRtcp.subscribe((packet: RtcpPacket) => this.onRtcp(packet));
    this.unsubscribe.push(rtp.unSubscribe, rtcp.unSubscribe);
  }

  /**
   * A picture with a lost or broken packet is dropped, as werift's depacketizer dropped it. When
   * no loss was reported since the last whole picture (a malformed or oversized packet, not a
   * lost one), it is reported here: the pictures after it refer to it, so video must wait for a
   * keyframe.
   */
  private h264Depacketizer(): (output: JitterBufferOutput) => void {
    const depacketizer = new H264Depacketizer(MAX_H264_PICTURE_BYTES);
    return ({ rtp }) => {
      if (rtp === undefined) return;
      for (const picture of depacketizer.push(libPacket(rtp))) {
        if (picture.damaged) {
          if (!this.lossReported) this.reportLoss();
          continue;
        }
        this.lossReported = false;
        const data = h264.joinAvcc(picture.nals);
        this.guard(() => this.handlers.onFrame({ data, rtpTimestamp: picture.timestamp }));
      }
    };
  }

  private weriftDepacketizer(codec: 'vp8' | 'opus'): (output: JitterBufferOutput) => void {
    const depacketizer = new DepacketizeCallback(
      WERIFT_DEPACKETIZER[codec],
      // Audio packets are frames; a video frame ends with the packet that has the marker bit.
      codec === 'opus' ? {} : { isFinalPacketInSequence: (header) => header.marker },
    );
    depacketizer.pipe(({ frame }) => {
      if (frame === undefined || frame.data.length === 0) return;
      const rtpTimestamp = frame.timestamp as number;
      this.guard(() => this.handlers.onFrame({ data: frame.data, rtpTimestamp }));
    });
    return (output) => depacketizer.input(output);
  }

  private reportLoss(): void {
    this.lossReported = true;
    this.guard(() => this.handlers.onLoss());
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
      // werift's depacketizer (VP8, Opus) clears the payload of packets it consumed, and every
      // subscriber of onReceiveRtp gets the same object (LIBRARY-NOTES): work on a copy.
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

/** werift's packet as lib/rtp reads it; the payload is shared, not copied. */
function libPacket({ header, payload }: RtpPacket): LibRtpPacket {
  return {
    payloadType: header.payloadType,
    marker: header.marker,
    sequence: header.sequenceNumber,
    timestamp: header.timestamp,
    ssrc: header.ssrc,
    payload,
  };
}

/**
 * NTP 32.32 fixed point → seconds. (werift's ntpTime2Sec reads the fraction's integer as decimal
 * digits: 0.5 s becomes 0.2147… s.)
 */
export function ntpSeconds(ntp: bigint): number {
  return Number(ntp >> 32n) + Number(ntp & 0xffffffffn) / 2 ** 32;
}
