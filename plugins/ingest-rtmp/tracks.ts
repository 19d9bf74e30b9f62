import { type AudioTrack, type VideoTrack } from '../../core/index.js';
import { aac, h264 } from '../../lib/codecs/index.js';

/** Track ids are fixed for RTMP: one video and one audio track at most. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

export interface H264Track {
  readonly track: VideoTrack;
  /** NAL length size the publisher uses (ffmpeg: 4); frames are rewritten to 4 when it differs. */
  readonly lengthSize: number;
}

/** A video track from an AVC sequence header (avcC). Throws on a malformed record. */
export function h264Track(avcC: Uint8Array): H264Track {
  const parsed = h264.parseAvcC(avcC);
  let config = avcC;
  if (parsed.lengthSize !== 4) {
    // Spool's frames carry 4-byte NAL lengths: say so in the record the frames are paired with.
    config = avcC.slice();
    config[4] = config[4]! | 0x03;
  }
  let size: { width: number; height: number } | undefined;
  try {
    const sps = h264.parseSps(parsed.sps[0]!);
    size = { width: sps.width, height: sps.height };
  } catch {
    size = undefined; // decoders read the SPS themselves; the size is only informative
  }
  return {
    track: { id: VIDEO_TRACK_ID, kind: 'video', codec: 'h264', timescale: 90000, config, ...size },
    lengthSize: parsed.lengthSize,
  };
}

export interface AacTrack {
  readonly track: AudioTrack;
  readonly samplesPerFrame: number;
}

/** An audio track from an AAC sequence header (AudioSpecificConfig). Throws on a malformed one. */
export function aacTrack(audioSpecificConfig: Uint8Array): AacTrack {
  const parsed = aac.parseAudioSpecificConfig(audioSpecificConfig);
  return {
    track: {
      id: AUDIO_TRACK_ID,
      kind: 'audio',
      codec: 'aac',
      timescale: parsed.sampleRate,
      sampleRate: parsed.sampleRate,
      channels: parsed.channels,
      config: audioSpecificConfig,
    },
    samplesPerFrame: parsed.samplesPerFrame,
  };
}

/** Audio clocks drift from the RTMP millisecond clock by less than this before they are realigned. */
export const AUDIO_RESYNC_MS = 100;

/**
 * AAC timestamps from sample counts: frame k is `base + k * samplesPerFrame`, where `base` is the
 * first frame's millisecond time in samples. Millisecond RTMP timestamps would give sample
 * durations of 1023/1024/1025 (and 1008/1056 in MP4). When the two clocks drift apart by more than
 * AUDIO_RESYNC_MS (a gap in the audio, a publisher's clock jump), the count restarts at the ms time.
 */
export class AudioClock {
  private baseSamples = 0;
  private frames = -1;

  constructor(
    private readonly sampleRate: number,
    private readonly samplesPerFrame: number,
  ) {}

  /** The dts (in samples) of the next frame, given its RTMP time in ms. */
  next(timeMs: number): { dts: number; resynced: boolean } {
    const fromMs = Math.round((timeMs * this.sampleRate) / 1000);
    if (this.frames < 0) {
      this.baseSamples = fromMs;
      this.frames = 0;
    }
    let dts = this.baseSamples + this.frames * this.samplesPerFrame;
    const driftMs = Math.abs(((dts - fromMs) * 1000) / this.sampleRate);
    const resynced = driftMs > AUDIO_RESYNC_MS;
    if (resynced) {
      this.baseSamples = fromMs;
      this.frames = 0;
      dts = fromMs;
    }
    this.frames++;
    return { dts, resynced };
  }
}
