import type { Codec, Track } from '../../core/index.js';

export interface SingleTrackContainer {
  /** "MP4", "MPEG-TS" … for the messages. */
  readonly label: string;
  readonly videoCodecs: readonly Codec[];
  readonly audioCodecs: readonly Codec[];
  /** The container's header needs the picture size (MP4's tkhd and avc1). */
  readonly needsPictureSize?: boolean;
}

/**
 * Why a container that holds at most one video and one audio track, each with a decoder
 * configuration, cannot take these tracks; undefined when it can. Shared by the writers' `unsupported`.
 */
export function singleTrackProblem(
  tracks: readonly Track[],
  container: SingleTrackContainer,
): string | undefined {
  const { label } = container;
  const video = tracks.filter((t) => t.kind === 'video');
  const audio = tracks.filter((t) => t.kind === 'audio');
  if (video.length > 1 || audio.length > 1) return `${label} recording takes one video and one audio track`;
  if (video.length + audio.length === 0) return 'no audio or video track';
  for (const track of [...video, ...audio]) {
    const allowed = track.kind === 'video' ? container.videoCodecs : container.audioCodecs;
    if (!allowed.includes(track.codec)) {
      return `${label} recording needs ${allowed.join(' or ')} ${track.kind}, not ${track.codec}`;
    }
    if (track.config === undefined) return `the ${track.kind} track has no decoder configuration yet`;
  }
  const picture = video[0];
  if (
    container.needsPictureSize &&
    picture !== undefined &&
    (picture.width === undefined || picture.height === undefined)
  ) {
    return 'the video track has no picture size';
  }
  return undefined;
}
