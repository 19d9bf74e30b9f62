import { AdtsWriter } from '../codecs/adts.js';
import { AnnexBAccessUnits } from './h264-access-unit.js';
import {
  AUDIO_PID,
  ContinuityCounters,
  PAT_PID,
  PMT_PID,
  STREAM_ID_AUDIO,
  STREAM_ID_VIDEO,
  STREAM_TYPE_AAC_ADTS,
  STREAM_TYPE_H264,
  VIDEO_PID,
  patSection,
  pesHeader,
  pesPackets,
  pmtSection,
  psiPacket,
  type ElementaryStream,
} from './ts-packets.js';

const CLOCK_HZ = 90_000;
/**
 * Added to every PTS/DTS. The recorder puts the first keyframe's PTS at 0, so with B-frames the
 * first DTS is negative; 1.4 s (what ffmpeg's TS files start at) keeps any sane reorder delay positive.
 */
export const TIMESTAMP_OFFSET = 126_000;
/** The PCR runs this far behind the DTS (ffmpeg's default max_delay): the decoder's buffering time. */
const PCR_LEAD = 63_000;
/** Without video there are no keyframes to put PAT/PMT before: repeat them this often instead. */
const AUDIO_ONLY_PSI_INTERVAL = CLOCK_HZ / 2;

export interface TsMuxerTracks {
  /** H.264, frames AVCC; the avcC supplies SPS/PPS and the NAL length size. */
  readonly video?: { readonly avcC: Uint8Array; readonly timescale: number };
  /** AAC, frames raw; the AudioSpecificConfig supplies the ADTS header fields. */
  readonly audio?: { readonly audioSpecificConfig: Uint8Array; readonly timescale: number };
}

export interface MuxFrame {
  readonly data: Uint8Array;
  /** In the track's timescale; the first keyframe's pts is about 0. */
  readonly pts: number;
  readonly dts: number;
  readonly keyframe: boolean;
}

/**
 * H.264 + AAC frames in, whole TS packets out: one PES per frame, PCR on the video PID (audio when
 * there is no video), PAT/PMT before each keyframe. Written by hand because mediabunny's TS writer
 * gives B-frames a DTS after their PTS.
 */
export class TsMuxer {
  private readonly counters = new ContinuityCounters();
  private readonly pat = patSection();
  private readonly pmt: Uint8Array;
  private readonly pcrPid: number;
  private readonly accessUnits: AnnexBAccessUnits | undefined;
  private readonly adts: AdtsWriter | undefined;
  private lastPsiAt: number | undefined;

  constructor(private readonly tracks: TsMuxerTracks) {
    const streams: ElementaryStream[] = [];
    if (tracks.video !== undefined) streams.push({ pid: VIDEO_PID, streamType: STREAM_TYPE_H264 });
    if (tracks.audio !== undefined) streams.push({ pid: AUDIO_PID, streamType: STREAM_TYPE_AAC_ADTS });
    if (streams.length === 0) throw new Error('an MPEG-TS file needs a video or an audio track');
    this.pcrPid = streams[0]!.pid;
    this.pmt = pmtSection(streams, this.pcrPid);
    this.accessUnits = tracks.video === undefined ? undefined : new AnnexBAccessUnits(tracks.video.avcC);
    this.adts = tracks.audio === undefined ? undefined : new AdtsWriter(tracks.audio.audioSpecificConfig);
  }

  /** TS packets for one video frame (decode order), PAT/PMT first when it is a keyframe. */
  video(frame: MuxFrame): Uint8Array {
    if (this.accessUnits === undefined || this.tracks.video === undefined) {
      throw new Error('this MPEG-TS file has no video track');
    }
    const pts = toClock(frame.pts, this.tracks.video.timescale);
    const dts = toClock(frame.dts, this.tracks.video.timescale);
    const payload = this.accessUnits.convert(frame.data, frame.keyframe);
    const payloadBytes = payload.reduce((sum, part) => sum + part.length, 0);
    const packets = pesPackets(
      VIDEO_PID,
      [pesHeader(STREAM_ID_VIDEO, payloadBytes, pts, dts), ...payload],
      this.counters,
      { randomAccess: frame.keyframe, pcr: dts - PCR_LEAD },
    );
    return frame.keyframe || this.lastPsiAt === undefined ? this.withPsi(packets, dts) : packets;
  }

  /** TS packets for one raw AAC frame, carried as ADTS. */
  audio(frame: MuxFrame): Uint8Array {
    if (this.adts === undefined || this.tracks.audio === undefined) {
      throw new Error('this MPEG-TS file has no audio track');
    }
    const pts = toClock(frame.pts, this.tracks.audio.timescale);
    const adts = this.adts.header(frame.data.length);
    const packets = pesPackets(
      AUDIO_PID,
      [pesHeader(STREAM_ID_AUDIO, adts.length + frame.data.length, pts), adts, frame.data],
      this.counters,
      // Every AAC frame decodes on its own, as ffmpeg marks them too.
      { randomAccess: true, ...(this.pcrPid === AUDIO_PID ? { pcr: pts - PCR_LEAD } : {}) },
    );
    const psiDue =
      this.lastPsiAt === undefined ||
      (this.pcrPid === AUDIO_PID && pts - this.lastPsiAt >= AUDIO_ONLY_PSI_INTERVAL);
    return psiDue ? this.withPsi(packets, pts) : packets;
  }

  private withPsi(packets: Uint8Array, at: number): Uint8Array {
    this.lastPsiAt = at;
    const pat = psiPacket(PAT_PID, this.pat, this.counters);
    const pmt = psiPacket(PMT_PID, this.pmt, this.counters);
    const out = new Uint8Array(pat.length + pmt.length + packets.length);
    out.set(pat);
    out.set(pmt, pat.length);
    out.set(packets, pat.length + pmt.length);
    return out;
  }
}

/** A track timestamp on the 90 kHz clock, offset so that nothing in a recording is negative. */
function toClock(value: number, timescale: number): number {
  const ticks = timescale === CLOCK_HZ ? value : Math.round((value * CLOCK_HZ) / timescale);
  return ticks + TIMESTAMP_OFFSET;
}
