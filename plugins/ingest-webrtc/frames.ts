import { type AudioTrack, type VideoTrack } from '../../core/index.js';
import { h264, opus } from '../../lib/codecs/index.js';

/** Track ids are fixed for a WHIP publish: one video and one audio track at most. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

/** A depacketized frame converted to Spool's form, with the track it needs when that changed. */
export interface ConvertedFrame<T extends VideoTrack | AudioTrack = VideoTrack | AudioTrack> {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** Set when this frame brings a new decoder config or picture size: publish it before the frame. */
  readonly track?: T;
}

/** Why a frame cannot be used; the caller drops it and counts the reason. */
export type Unusable = { readonly unusable: string };

/**
 * H.264 pictures from the depacketizer (AVCC) → the bus, less access unit delimiters. The avcC
 * comes from the in-band SPS/PPS (Chromium sends them before every IDR), and the size from the
 * SPS, not the SDP: browsers send other levels than they offer. The parameter sets also stay in
 * the frame, so a decoder follows a mid-stream resolution change (browsers scale down under load)
 * even in a file whose sample entry holds the first avcC.
 */
export class H264Converter {
  private current: VideoTrack | undefined;

  get track(): VideoTrack | undefined {
    return this.current;
  }

  convert(avcc: Uint8Array): ConvertedFrame<VideoTrack> | Unusable {
    const all = h264.splitAvcc(avcc);
    const units = all.filter((unit) => h264.nalType(unit) !== h264.NAL_TYPE.AUD);
    if (units.length === 0) return { unusable: 'empty H.264 frame' };
    const types = units.map(h264.nalType);
    const idr = types.includes(h264.NAL_TYPE.IDR);
    const sps = units.filter((_, i) => types[i] === h264.NAL_TYPE.SPS);
    const pps = units.filter((_, i) => types[i] === h264.NAL_TYPE.PPS);
    let track: VideoTrack | undefined;
    if (idr && sps.length > 0 && pps.length > 0) {
      const config = h264.buildAvcC(sps, pps);
      if (!sameBytes(config, this.current?.config)) {
        let size: { width: number; height: number };
        try {
          size = h264.parseSps(sps[0]!);
        } catch (error) {
          return { unusable: `malformed SPS (${(error as Error).message})` };
        }
        track = { id: VIDEO_TRACK_ID, kind: 'video', codec: 'h264', timescale: 90000, config, ...size };
        this.current = track;
      }
    } else if (idr) {
      // Without its parameter sets a keyframe may be cut (the stream began mid-frame) or use ones
      // we never saw: not a safe place to start decoding.
      if (this.current === undefined) return { unusable: 'H.264 keyframe without SPS/PPS' };
    }
    if (this.current === undefined) return { unusable: 'H.264 frame before the first keyframe' };
    const data = units.length === all.length ? avcc : h264.joinAvcc(units);
    return { data, keyframe: idr, track };
  }
}

/**
 * VP8 frames stay as they are; a keyframe (RFC 6386 §9.1: frame tag bit 0 clear, start code
 * 9d 01 2a) gives the picture size.
 */
export class Vp8Converter {
  private current: VideoTrack | undefined;

  get track(): VideoTrack | undefined {
    return this.current;
  }

  convert(frame: Uint8Array): ConvertedFrame<VideoTrack> | Unusable {
    if (frame.length < 3) return { unusable: 'truncated VP8 frame' };
    const keyframe = (frame[0]! & 0x01) === 0;
    let track: VideoTrack | undefined;
    if (keyframe) {
      if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
        return { unusable: 'VP8 keyframe without its start code (cut short)' };
      }
      const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
      const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
      if (this.current?.width !== width || this.current.height !== height) {
        track = { id: VIDEO_TRACK_ID, kind: 'video', codec: 'vp8', timescale: 90000, width, height };
        this.current = track;
      }
    }
    if (this.current === undefined) return { unusable: 'VP8 frame before the first keyframe' };
    return { data: frame, keyframe, track };
  }
}

/**
 * The Opus track: always 2 channels, pre-skip 0 (RTP gives no encoder delay). Opus packets stay raw.
 * RFC 7587 §3.4: a receiver decodes stereo whatever was signalled, and senders switch between mono
 * and stereo coding packet by packet (a stereo encoder codes quiet or low-rate passages as mono;
 * Chromium sends mono unless told stereo=1). A 2-channel OpusHead plays both kinds of packet (mono
 * ones come out on both channels), so the track never changes mid-stream: a change would restart
 * the transcoder or split the recording's decoder configuration.
 */
export class OpusConverter {
  readonly track: AudioTrack = {
    id: AUDIO_TRACK_ID,
    kind: 'audio',
    codec: 'opus',
    timescale: 48000,
    sampleRate: 48000,
    channels: 2,
    config: opus.buildOpusHead({ channels: 2, preSkip: 0, inputSampleRate: 48000 }),
  };
  private announced = false;

  convert(packet: Uint8Array): ConvertedFrame<AudioTrack> | Unusable {
    if (packet.length === 0) return { unusable: 'empty Opus packet' };
    const track = this.announced ? undefined : this.track;
    this.announced = true;
    return { data: packet, keyframe: true, track };
  }
}

export type Converter = H264Converter | Vp8Converter | OpusConverter;

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
