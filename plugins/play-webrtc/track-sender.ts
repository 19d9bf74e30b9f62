import { randomBytes } from 'node:crypto';
import { RtpHeader, RtpPacket } from 'werift';
import type { Frame, Track } from '../../core/index.js';
import { parseAvcC } from '../../lib/codecs/h264.js';
import { H264Packetizer, pictureNals, type ParameterSets } from '../../lib/rtp/h264-packetizer.js';
import { Vp8Packetizer } from '../../lib/rtp/vp8-packetizer.js';

export type SentCodec = 'h264' | 'vp8' | 'opus' | 'pcmu' | 'pcma';

/** Where a track sender's packets go: werift's RTCRtpSender.sendRtp (it sets SSRC and payload type). */
export type RtpOut = (packet: RtpPacket) => void;

/**
 * The RTP of one track for one viewer: frames of the bus become packets with the viewer's own
 * sequence numbers and timestamps. Each viewer gets its own packet objects (werift keeps the packets
 * it sent for NACK retransmission), and its own counters, so a viewer that joined later or dropped
 * frames to catch up still sees a gapless sequence.
 *
 * RTP timestamps follow the frames' presentation times (pts) on the stream's common timeline, from a
 * random base per track: werift's sender reports map them to wall-clock time as they are sent, which
 * is what the browser lines audio and video up with. Frames are sent in decode order, so a stream
 * with B-frames gives RTP timestamps that go back and forth, as RFC 6184 allows.
 */
export class TrackSender {
  private sequence = randomBytes(2).readUInt16BE(0);
  private readonly base = randomBytes(4).readUInt32BE(0);
  private readonly h264: H264Packetizer;
  private readonly vp8: Vp8Packetizer;
  private avc: { config: Uint8Array; lengthSize: number; sets: ParameterSets } | undefined;
  packetsSent = 0;

  constructor(
    readonly codec: SentCodec,
    private readonly clockRate: number,
    maxPayloadBytes: number,
    private readonly out: RtpOut,
  ) {
    this.h264 = new H264Packetizer(maxPayloadBytes);
    this.vp8 = new Vp8Packetizer(maxPayloadBytes);
  }

  /** Sends one frame of `track`; `originSeconds` is the stream time the viewer's timeline starts at. */
  send(frame: Frame, track: Track, originSeconds: number): void {
    const payloads = this.payloads(frame, track);
    const seconds = frame.pts / track.timescale - originSeconds;
    const timestamp = (this.base + Math.round(seconds * this.clockRate)) >>> 0;
    for (const [i, payload] of payloads.entries()) {
      const header = new RtpHeader({
        payloadType: 0, // werift writes the negotiated one
        sequenceNumber: this.sequence,
        timestamp,
        marker: this.codec === 'h264' || this.codec === 'vp8' ? i === payloads.length - 1 : false,
      });
      this.sequence = (this.sequence + 1) & 0xffff;
      this.packetsSent++;
      this.out(new RtpPacket(header, payload));
    }
  }

  private payloads(frame: Frame, track: Track): Buffer[] {
    switch (this.codec) {
      case 'h264': {
        const avc = this.avcOf(track);
        return this.h264.packetize(pictureNals(frame.data, avc?.lengthSize ?? 4, frame.keyframe, avc?.sets));
      }
      case 'vp8':
        return this.vp8.packetize(frame.data);
      default:
        return [Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength)];
    }
  }

  /** The track's avcC, read once per config: NAL length size and the parameter sets for keyframes. */
  private avcOf(track: Track): { lengthSize: number; sets: ParameterSets } | undefined {
    if (track.config === undefined) return undefined;
    if (this.avc?.config !== track.config) {
      const config = parseAvcC(track.config);
      this.avc = { config: track.config, lengthSize: config.lengthSize, sets: config };
    }
    return this.avc;
  }
}
