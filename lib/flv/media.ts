/**
 * Spool's media model in FLV: which tracks FLV carries as they are (H.264 with its avcC, AAC with
 * its AudioSpecificConfig), their sequence headers, and a frame's tag body. Timestamps become
 * milliseconds from the track's timescale; the tag body holds only the composition time, so it is
 * the same for every player of a frame and can be built once.
 */
import type { Frame, Track } from '../../core/index.js';
import {
  FLV_AUDIO,
  FLV_VIDEO,
  aacAudioTag,
  aacSequenceHeaderTag,
  avcSequenceHeaderTag,
  avcVideoTag,
} from './tags.js';

/** Whether FLV carries this track's frames as they are. */
export function flvCarries(track: Track): boolean {
  return (
    (track.kind === 'video' && track.codec === 'h264') || (track.kind === 'audio' && track.codec === 'aac')
  );
}

/** The RTMP message type of a track's tags: 8 audio, 9 video. */
export function flvTagType(track: Track): typeof FLV_AUDIO | typeof FLV_VIDEO {
  return track.kind === 'video' ? FLV_VIDEO : FLV_AUDIO;
}

/** The sequence header a player needs before the track's frames; undefined until the track has a config. */
export function flvSequenceHeader(track: Track): Buffer | undefined {
  if (track.config === undefined || !flvCarries(track)) return undefined;
  return track.kind === 'video' ? avcSequenceHeaderTag(track.config) : aacSequenceHeaderTag(track.config);
}

/** A frame's time in ms; rounded, so a frame's pts and dts round the same way every time. */
export function flvMs(ticks: number, timescale: number): number {
  return Math.round((ticks * 1000) / timescale);
}

/** One frame's tag body: H.264 with its keyframe flag and composition time, AAC raw. */
export function flvFrameTag(frame: Frame, track: Track): Buffer {
  if (track.kind === 'audio') return aacAudioTag(frame.data);
  const compositionMs = flvMs(frame.pts, track.timescale) - flvMs(frame.dts, track.timescale);
  return avcVideoTag(frame.data, frame.keyframe, compositionMs);
}
