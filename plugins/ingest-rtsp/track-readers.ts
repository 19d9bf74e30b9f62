import type { AudioTrack, Track, VideoTrack } from '../../core/index.js';
import { aac, h264 } from '../../lib/codecs/index.js';
import { AacDepacketizer, auHeaderLayout } from '../../lib/rtp/aac-depacketizer.js';
import { H264Depacketizer } from '../../lib/rtp/h264-depacketizer.js';
import type { RtpPacket } from '../../lib/rtp/rtp.js';
import type { SdpFormat } from './sdp.js';

/** Track ids are fixed for an RTSP capture: one video and one audio track at most. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

/** A frame in Spool's form, still on the RTP clock of its track. */
export interface MediaUnit {
  /** 32-bit RTP timestamp (the track's clock). */
  readonly timestamp: number;
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** Set when this unit brings a new decoder config: publish it before the frame. */
  readonly track?: Track;
}

/** RTP packets of one track in, canonical frames out. */
export interface TrackReader {
  readonly kind: 'video' | 'audio';
  /** The track as it is now; an H.264 track without SPS/PPS yet is undefined. */
  readonly track: Track | undefined;
  push(packet: RtpPacket): MediaUnit[];
}

export interface ReaderOptions {
  readonly maxFrameBytes: number;
  /** Told why a packet or frame was dropped. */
  readonly drop: (what: string) => void;
}

/** A reader for a payload format, or the reason this ingest cannot read it. */
export function readerFor(format: SdpFormat, options: ReaderOptions): TrackReader | { unsupported: string } {
  try {
    switch (format.encoding) {
      case 'H264':
        return new H264Reader(format, options);
      case 'MPEG4-GENERIC':
        return aacReader(format, options);
      case 'PCMA':
      case 'PCMU':
        return g711Reader(format);
      default:
        return { unsupported: `${format.encoding}/${format.clockRate}` };
    }
  } catch (error) {
    return { unsupported: `${format.encoding}: ${(error as Error).message}` };
  }
}

/**
 * H.264 → AVCC. The avcC starts from sprop-parameter-sets and follows in-band SPS/PPS. After a
 * picture damaged by loss, pictures are dropped until the next IDR, so recordings decode cleanly.
 */
class H264Reader implements TrackReader {
  readonly kind = 'video';
  private current: VideoTrack | undefined;
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  private waitingForKeyframe = true;
  private readonly depacketizer: H264Depacketizer;

  constructor(
    format: SdpFormat,
    private readonly options: ReaderOptions,
  ) {
    if (format.clockRate !== 90000) throw new Error(`clock rate ${format.clockRate}, RFC 6184 says 90000`);
    this.depacketizer = new H264Depacketizer(options.maxFrameBytes, options.drop);
    const sets = (format.parameters.get('sprop-parameter-sets') ?? '').split(',').filter((s) => s !== '');
    const units = sets.map((set) => Buffer.from(set, 'base64')).filter((unit) => unit.length > 0);
    this.sps = units.filter((unit) => h264.nalType(unit) === h264.NAL_TYPE.SPS);
    this.pps = units.filter((unit) => h264.nalType(unit) === h264.NAL_TYPE.PPS);
    this.updateTrack();
  }

  get track(): VideoTrack | undefined {
    return this.current;
  }

  push(packet: RtpPacket): MediaUnit[] {
    const out: MediaUnit[] = [];
    for (const unit of this.depacketizer.push(packet)) {
      const converted = this.convert(unit.nals, unit.damaged, unit.timestamp);
      if (converted !== undefined) out.push(converted);
    }
    return out;
  }

  private convert(all: readonly Buffer[], damaged: boolean, timestamp: number): MediaUnit | undefined {
    if (damaged) {
      if (!this.waitingForKeyframe)
        this.options.drop('H.264 pictures until the next keyframe after packet loss');
      this.waitingForKeyframe = true;
      return undefined;
    }
    const nals = all.filter((nal) => h264.nalType(nal) !== h264.NAL_TYPE.AUD);
    const types = nals.map(h264.nalType);
    const sps = nals.filter((_, i) => types[i] === h264.NAL_TYPE.SPS);
    const pps = nals.filter((_, i) => types[i] === h264.NAL_TYPE.PPS);
    let track: VideoTrack | undefined;
    if (sps.length > 0 && pps.length > 0) {
      this.sps = sps;
      this.pps = pps;
      track = this.updateTrack();
    }
    const keyframe = types.includes(h264.NAL_TYPE.IDR);
    if (keyframe && this.current !== undefined) this.waitingForKeyframe = false;
    if (this.waitingForKeyframe || !types.some((t) => t >= 1 && t <= 5)) return undefined;
    return { timestamp, data: h264.joinAvcc(nals), keyframe, ...(track === undefined ? {} : { track }) };
  }

  /** Rebuilds the track from the parameter sets; returns it when it changed. */
  private updateTrack(): VideoTrack | undefined {
    if (this.sps.length === 0 || this.pps.length === 0 || this.sps[0]!.length < 4) return undefined;
    const config = h264.buildAvcC(this.sps, this.pps);
    if (this.current?.config !== undefined && Buffer.from(config).equals(this.current.config))
      return undefined;
    let size: { width: number; height: number } | undefined;
    try {
      const { width, height } = h264.parseSps(this.sps[0]!);
      size = { width, height };
    } catch {
      size = undefined; // decoders read the SPS themselves; the size is only informative
    }
    this.current = { id: VIDEO_TRACK_ID, kind: 'video', codec: 'h264', timescale: 90000, config, ...size };
    return this.current;
  }
}

/** MPEG4-GENERIC → raw AAC with the AudioSpecificConfig from fmtp `config`. */
function aacReader(format: SdpFormat, options: ReaderOptions): TrackReader {
  const mode = format.parameters.get('mode')?.toLowerCase();
  if (mode !== undefined && mode !== 'aac-hbr' && mode !== 'aac-lbr')
    throw new Error(`mode ${mode} is not AAC`);
  const hex = format.parameters.get('config') ?? '';
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new Error('no AudioSpecificConfig (fmtp config=) in the SDP');
  const config = Buffer.from(hex, 'hex');
  const parsed = aac.parseAudioSpecificConfig(config);
  // The RTP clock is normally the sample rate; frame steps are in RTP ticks either way.
  const ticksPerFrame = Math.round((parsed.samplesPerFrame * format.clockRate) / parsed.sampleRate);
  const depacketizer = new AacDepacketizer(
    auHeaderLayout(format.parameters),
    ticksPerFrame,
    options.maxFrameBytes,
    options.drop,
  );
  const track: AudioTrack = {
    id: AUDIO_TRACK_ID,
    kind: 'audio',
    codec: 'aac',
    timescale: format.clockRate,
    sampleRate: parsed.sampleRate,
    channels: parsed.channels,
    config,
  };
  return {
    kind: 'audio',
    track,
    push: (packet) =>
      depacketizer.push(packet).map(({ timestamp, data }) => ({ timestamp, data, keyframe: true })),
  };
}

/**
 * G.711: one byte per sample (and channel). Packets are cut into frames of at most 20 ms: some
 * cameras send 128 ms per packet, and a recording that starts at a keyframe drops the audio frame
 * that began before it, so long frames would start the audio up to that much late.
 */
function g711Reader(format: SdpFormat): TrackReader {
  const track: AudioTrack = {
    id: AUDIO_TRACK_ID,
    kind: 'audio',
    codec: format.encoding === 'PCMA' ? 'pcma' : 'pcmu',
    timescale: format.clockRate,
    sampleRate: format.clockRate,
    channels: format.channels,
  };
  const frameSamples = Math.max(1, Math.floor(format.clockRate / 50));
  const frameBytes = frameSamples * format.channels;
  return {
    kind: 'audio',
    track,
    push(packet) {
      const units: MediaUnit[] = [];
      for (let offset = 0, i = 0; offset < packet.payload.length; offset += frameBytes, i++) {
        const data = packet.payload.subarray(offset, offset + frameBytes);
        units.push({ timestamp: (packet.timestamp + i * frameSamples) >>> 0, data, keyframe: true });
      }
      return units;
    },
  };
}
