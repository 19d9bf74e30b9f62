import type { AudioTrack, Frame, Track, VideoTrack } from '../../core/index.js';
import type {
  ContainerWriter,
  FinalizeOptions,
  OpenWriterOptions,
  RecordingFileWriter,
} from '../recorder/api.js';
import { singleTrackProblem } from '../../lib/codecs/track-check.js';
import { FragmentedMp4Writer } from '../../lib/mp4/fragmented-writer.js';

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
    module: new URL('../../lib/mp4/finalize.js', import.meta.url).href,
    exportName: 'finalizeFragmentedMp4',
  };

  constructor(private readonly settings: Mp4WriterSettings) {}

  unsupported(tracks: readonly Track[]): string | undefined {
    return singleTrackProblem(tracks, {
      label: 'MP4',
      videoCodecs: ['h264'],
      audioCodecs: this.audioCodecs,
      needsPictureSize: true,
    });
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
