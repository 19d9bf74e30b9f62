/**
 * The ContainerWriter shared by writer-mkv and writer-webm: the same Matroska code, with the codecs each
 * container may hold. writer-webm imports it through writer-mkv's api.ts (code, not a plugin dependency), so it
 * works with writer-mkv disabled.
 */
import type { AudioCodec, Track, VideoCodec } from '../../core/index.js';
import type {
  ContainerWriter,
  FinalizeOptions,
  OpenWriterOptions,
  RecordingFileWriter,
} from '../recorder/api.js';
import { MatroskaRecordingFile, type ClusterLimits } from '../../lib/matroska/recording-file.js';
import { configProblem } from '../../lib/matroska/track-entries.js';

export interface MatroskaProfile {
  readonly container: string;
  readonly extension: string;
  readonly docType: 'matroska' | 'webm';
  /** How messages name the container. */
  readonly label: string;
  readonly videoCodecs: readonly VideoCodec[];
  /** Preferred first: other audio is transcoded to the first one when a transcoder is enabled. */
  readonly audioCodecs: readonly AudioCodec[];
}

/** MKV holds every codec Spool ingests, as received (and Vorbis, which only transcoding makes). */
export const MKV_PROFILE: MatroskaProfile = {
  container: 'mkv',
  extension: 'mkv',
  docType: 'matroska',
  label: 'MKV',
  videoCodecs: ['h264', 'vp8'],
  audioCodecs: ['aac', 'opus', 'pcma', 'pcmu', 'vorbis'],
};

/** WebM is the browser subset of Matroska: VP8 and Opus here (no H.264, AAC or G.711). */
export const WEBM_PROFILE: MatroskaProfile = {
  container: 'webm',
  extension: 'webm',
  docType: 'webm',
  label: 'WebM',
  videoCodecs: ['vp8'],
  audioCodecs: ['opus'],
};

/**
 * WebM whose audio is `audioCodec`: Opus (the default), or Vorbis, the reference's "VP8 + Vorbis". Only
 * that codec is taken; other audio is transcoded to it.
 */
export function webmProfile(audioCodec: 'opus' | 'vorbis'): MatroskaProfile {
  return { ...WEBM_PROFILE, audioCodecs: [audioCodec] };
}

const CODEC_NAMES: Record<string, string> = {
  h264: 'H.264',
  vp8: 'VP8',
  aac: 'AAC',
  opus: 'Opus',
  pcma: 'G.711 A-law',
  pcmu: 'G.711 µ-law',
  vorbis: 'Vorbis',
};

export class MatroskaContainerWriter implements ContainerWriter {
  readonly container: string;
  readonly extension: string;
  readonly audioCodecs: readonly AudioCodec[];
  readonly finalizer = {
    module: new URL('../../lib/matroska/finalize.js', import.meta.url).href,
    exportName: 'finalizeMatroska',
  };

  constructor(
    private readonly profile: MatroskaProfile,
    private readonly limits: ClusterLimits,
  ) {
    this.container = profile.container;
    this.extension = profile.extension;
    this.audioCodecs = profile.audioCodecs;
  }

  unsupported(tracks: readonly Track[]): string | undefined {
    const { label, videoCodecs, audioCodecs } = this.profile;
    if (tracks.length === 0) return 'no audio or video track';
    // Blocks carry the track number as a 1-byte vint (1-126).
    if (tracks.length > 126) return `${label} recording takes at most 126 tracks, not ${tracks.length}`;
    for (const track of tracks) {
      const allowed: readonly string[] = track.kind === 'video' ? videoCodecs : audioCodecs;
      if (!allowed.includes(track.codec)) {
        const hint = this.profile.docType === 'webm' ? '; record it to mkv (or mp4) instead' : '';
        return `${label} cannot hold ${CODEC_NAMES[track.codec] ?? track.codec} ${track.kind}, only ${allowed
          .map((codec) => CODEC_NAMES[codec] ?? codec)
          .join(', ')}${hint}`;
      }
      const problem = configProblem(track);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  async open(options: OpenWriterOptions): Promise<RecordingFileWriter> {
    const reason = this.unsupported(options.tracks);
    if (reason !== undefined) throw new Error(reason);
    // Video first: players list it first and it is the track whose keyframes start clusters.
    const tracks = [...options.tracks].sort(
      (a, b) => Number(b.kind === 'video') - Number(a.kind === 'video'),
    );
    return MatroskaRecordingFile.open({
      path: options.tmpPath,
      docType: this.profile.docType,
      tracks,
      limits: this.limits,
    });
  }

  finalizeOptions(): FinalizeOptions {
    return {};
  }
}
