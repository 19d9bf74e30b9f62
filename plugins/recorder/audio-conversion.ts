import type { AudioCodec, AudioTrack, Track } from '../../core/index.js';
import type { AudioTranscoderFactory, ContainerWriter } from './api.js';

/** What goes into the file for each stream track: as is, converted, or left out (with the reason). */
export interface TrackPlan {
  /** The tracks the writer opens the file with (converted audio replaces its source). */
  readonly fileTracks: Track[];
  /** Source audio track id → the codec it is converted to. */
  readonly conversions: Map<number, { readonly input: AudioTrack; readonly to: AudioCodec }>;
  /** Tracks left out, with why (logged by the recording). */
  readonly leftOut: { readonly track: Track; readonly reason: string }[];
}

/** Tracks that cannot be decoded without a decoder configuration (VP8 and G.711 need none). */
export function needsConfig(track: Track): boolean {
  return track.codec === 'h264' || track.codec === 'aac' || track.codec === 'opus';
}

/**
 * Decides which tracks the file gets. Audio the container cannot hold is converted to the container's
 * preferred audio codec when a transcoder supports it, else left out so the video is still recorded.
 */
export function planTracks(
  tracks: readonly Track[],
  writer: ContainerWriter,
  factories: readonly AudioTranscoderFactory[],
): TrackPlan {
  const plan: TrackPlan = { fileTracks: [], conversions: new Map(), leftOut: [] };
  for (const track of tracks) {
    if (needsConfig(track) && track.config === undefined) {
      plan.leftOut.push({ track, reason: 'it has no decoder configuration' });
      continue;
    }
    if (track.kind === 'video' || writer.audioCodecs.includes(track.codec)) {
      plan.fileTracks.push(track);
      continue;
    }
    const to = writer.audioCodecs[0];
    const factory = to === undefined ? undefined : factories.find((f) => f.supports(track.codec, to));
    if (to === undefined || factory === undefined) {
      plan.leftOut.push({
        track,
        reason:
          to === undefined
            ? `${writer.container} holds no audio`
            : `${writer.container} records ${writer.audioCodecs.join('/')} audio, not ${track.codec}, and no ` +
              `transcoder converts ${track.codec} to ${to} (enable the transcoder plugin)`,
      });
      continue;
    }
    plan.conversions.set(track.id, { input: track, to });
    plan.fileTracks.push(outputPlaceholder(track, to));
  }
  return plan;
}

/**
 * Stand-in for the converted track until the transcoder is opened: same id, the target codec. The
 * recording replaces it with the transcoder's `output` (which carries the decoder configuration).
 */
function outputPlaceholder(track: AudioTrack, to: AudioCodec): AudioTrack {
  return { ...track, codec: to };
}
