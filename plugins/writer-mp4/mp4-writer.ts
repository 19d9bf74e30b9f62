import type { AudioTrack, Frame, Track, VideoTrack } from '../../core/index.js';
import type {
  ContainerWriter,
  FinalizeOptions,
  OpenWriterOptions,
  RecordingFileWriter,
} from '../recorder/api.js';
import { FragmentedMp4Writer } from './fragmented-writer.js';

export interface Mp4WriterSettings {
  readonly moovFirst: boolean;
  readonly reserveSpace: boolean;
  readonly reservedSpaceKb: number;
  readonly minimumFragmentMs: number;
}

/**
 * H.264 + AAC into MP4. While recording: fragmented MP4 (a fragment per keyframe interval,
 * at least minimumFragmentMs), playable up to the last fragment after a crash. At stop: the
 * streaming finalizer on the recorder's worker pool builds the regular MP4.
 */
export class Mp4ContainerWriter implements ContainerWriter {
  readonly container = 'mp4';
  readonly extension = 'mp4';
  readonly audioCodecs = ['aac'] as const;
  readonly finalizer = {
    module: new URL('./finalize.js', import.meta.url).href,
    exportName: 'finalizeFragmentedMp4',
  };

  constructor(private readonly settings: Mp4WriterSettings) {}

  unsupported(tracks: readonly Track[]): string | undefined {
    const video = tracks.filter((t) => t.kind === 'video');
    const audio = tracks.filter((t) => t.kind === 'audio');
    if (video.length > 1 || audio.length > 1) return 'MP4 recording takes one video and one audio track';
    if (video[0] !== undefined && video[0].codec !== 'h264') return `MP4 cannot hold ${video[0].codec} video`;
    if (audio[0] !== undefined && audio[0].codec !== 'aac')
      return `MP4 recording needs AAC audio, not ${audio[0].codec}`;
    if (video.length + audio.length === 0) return 'no audio or video track';
    for (const track of [...video, ...audio]) {
      if (track.config === undefined) return `the ${track.kind} track has no decoder configuration yet`;
    }
    if (video[0] !== undefined && (video[0].width === undefined || video[0].height === undefined)) {
      return 'the video track has no picture size';
    }
    return undefined;
  }

  async open(options: OpenWriterOptions): Promise<RecordingFileWriter> {
    const reason = this.unsupported(options.tracks);
    if (reason !== undefined) throw new Error(reason);
    const video = options.tracks.find((t): t is VideoTrack => t.kind === 'video');
    const audio = options.tracks.find((t): t is AudioTrack => t.kind === 'audio');
    const writer = new FragmentedMp4Writer({
      path: options.tmpPath,
      ...(video === undefined
        ? {}
        : {
            video: {
              codec: 'h264',
              timescale: video.timescale,
              width: video.width!,
              height: video.height!,
              avcC: video.config!,
            },
          }),
      ...(audio === undefined
        ? {}
        : {
            audio: {
              codec: 'aac',
              timescale: audio.timescale,
              sampleRate: audio.sampleRate,
              channels: audio.channels,
              audioSpecificConfig: audio.config!,
            },
          }),
      minimumFragmentDurationS: this.settings.minimumFragmentMs / 1000,
      // The recorder has already put the first picture at 0.
      timeOriginS: 0,
    });
    await writer.start();
    return new Mp4FileWriter(writer, video?.id, audio?.id);
  }

  finalizeOptions(): FinalizeOptions {
    return {
      moovFirst: this.settings.moovFirst,
      ...(this.settings.moovFirst && this.settings.reserveSpace
        ? { reserveBytes: this.settings.reservedSpaceKb * 1024 }
        : {}),
    };
  }
}

class Mp4FileWriter implements RecordingFileWriter {
  private bytes = 0;

  constructor(
    private readonly writer: FragmentedMp4Writer,
    private readonly videoTrackId: number | undefined,
    private readonly audioTrackId: number | undefined,
  ) {}

  get bytesWritten(): number {
    return this.bytes;
  }

  async write(frame: Frame): Promise<void> {
    const encoded = { data: frame.data, pts: frame.pts, dts: frame.dts, isKey: frame.keyframe };
    if (frame.trackId === this.videoTrackId) await this.writer.writeVideo(encoded);
    else if (frame.trackId === this.audioTrackId) await this.writer.writeAudio(encoded);
    else return;
    this.bytes += frame.data.byteLength;
  }

  async close(): Promise<void> {
    await this.writer.finish();
  }
}
