import {
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  FilePathTarget,
  Mp4OutputFormat,
  Output,
} from 'mediabunny';
import { aac, h264 } from '../codecs/index.js';
import { createRetentionTrimmer } from './mediabunny-retention.js';

/** H.264 track: frames are AVCC (4-byte NAL lengths), SPS/PPS live in `avcC`. */
export interface H264TrackConfig {
  codec: 'h264';
  /** Units per second of this track's pts/dts (Spool: 90000). */
  timescale: number;
  width: number;
  height: number;
  /** AVCDecoderConfigurationRecord. */
  avcC: Uint8Array;
}

/** AAC track: frames are raw (no ADTS). */
export interface AacTrackConfig {
  codec: 'aac';
  /** Units per second of this track's pts/dts (Spool: the sample rate). */
  timescale: number;
  sampleRate: number;
  channels: number;
  audioSpecificConfig: Uint8Array;
}

/** One encoded frame, timestamps as integers in the track's timescale. Frames arrive in decode order. */
export interface EncodedFrame {
  data: Uint8Array;
  pts: number;
  dts: number;
  isKey: boolean;
  /** Optional duration in track units; only the last frame of a track needs it to be exact. */
  duration?: number;
}

export interface FragmentedMp4WriterOptions {
  path: string;
  video?: H264TrackConfig;
  audio?: AacTrackConfig;
  /**
   * A fragment is cut at the first video keyframe (any audio frame when audio-only) after at least this long.
   * Real fragment length is max(this, GOP length). Default 0.5 s: with 1 s GOPs this gives 1 s fragments and
   * tolerates keyframe timestamps landing a tick early (a 1.0 s minimum would then give 2 s fragments).
   */
  minimumFragmentDurationS?: number;
  /**
   * Seconds (in the tracks' common clock) that become t=0 in the file. Default: the pts of the first frame
   * written. Frames whose pts is earlier are dropped (mediabunny would otherwise shift each track by its own
   * negative start, which misaligns the tracks).
   */
  timeOriginS?: number;
  /**
   * Trim the per-sample metadata mediabunny keeps for fragments already written (see mediabunny-retention.ts).
   * Default true; without it the writer grows by ~36 MB per hour of recording.
   */
  trimRetainedSamples?: boolean;
}

type Kind = 'video' | 'audio';

interface TrackState {
  source: EncodedVideoPacketSource | EncodedAudioPacketSource;
  timescale: number;
  /** Decoder config not yet handed over: mediabunny wants it with the first packet. */
  pendingConfig: boolean;
  started: boolean;
  closed: boolean;
  nominalFrameDuration: number;
}

export interface WriterStats {
  framesWritten: Record<Kind, number>;
  framesDropped: Record<Kind, number>;
}

/**
 * Writes H.264 + AAC frames to a fragmented MP4 file through mediabunny. Each fragment is handed to the file
 * system (one positioned write) as soon as mediabunny closes it, so a killed process leaves a file that is
 * readable up to its last complete fragment.
 */
export class FragmentedMp4Writer {
  private readonly output: Output;
  private readonly tracks = new Map<Kind, TrackState>();
  private readonly options: FragmentedMp4WriterOptions;
  private timeOriginS: number | undefined;
  private state: 'new' | 'started' | 'finished' = 'new';
  readonly stats: WriterStats = {
    framesWritten: { video: 0, audio: 0 },
    framesDropped: { video: 0, audio: 0 },
  };

  constructor(options: FragmentedMp4WriterOptions) {
    if (!options.video && !options.audio)
      throw new Error('FragmentedMp4Writer needs a video or an audio track');
    this.options = options;
    this.timeOriginS = options.timeOriginS;
    let afterFragment = (): void => {};
    this.output = new Output({
      format: new Mp4OutputFormat({
        fastStart: 'fragmented',
        minimumFragmentDuration: options.minimumFragmentDurationS ?? 0.5,
        // Called as each fragment is written, before it joins the muxer's list: trims the older ones.
        onMoof: () => afterFragment(),
      }),
      // chunked:false = every flush (one per fragment) becomes a write at once. FilePathTarget's default
      // (16 MiB chunks) keeps up to 16 MiB of finished fragments in memory, lost on a kill.
      target: new FilePathTarget(options.path, { chunked: false }),
    });
    if (options.trimRetainedSamples ?? true) afterFragment = createRetentionTrimmer(this.output);
    if (options.video) {
      const source = new EncodedVideoPacketSource('avc');
      // mediabunny derives the video timescale from frameRate (denominator of 1/frameRate); passing the track
      // timescale keeps 90 kHz timestamps exact instead of rounding them to its default 57600.
      this.output.addVideoTrack(source, { frameRate: options.video.timescale });
      this.tracks.set(
        'video',
        this.newTrackState(source, options.video.timescale, options.video.timescale / 30),
      );
    }
    if (options.audio) {
      const source = new EncodedAudioPacketSource('aac');
      this.output.addAudioTrack(source);
      // The audio timescale mediabunny uses is the sample rate; Spool's audio timescale is the same.
      this.tracks.set(
        'audio',
        this.newTrackState(
          source,
          options.audio.timescale,
          (1024 * options.audio.timescale) / options.audio.sampleRate,
        ),
      );
    }
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('FragmentedMp4Writer already started');
    this.state = 'started';
    await this.output.start();
  }

  writeVideo(frame: EncodedFrame): Promise<void> {
    return this.write('video', frame);
  }

  writeAudio(frame: EncodedFrame): Promise<void> {
    return this.write('audio', frame);
  }

  /** Call when a track ends before the others: an open track without packets stalls fragment interleaving. */
  async closeTrack(kind: Kind): Promise<void> {
    const track = this.tracks.get(kind);
    if (!track || track.closed) return;
    track.closed = true;
    track.source.close();
  }

  /** Writes the last fragment (and mediabunny's mfra index) and closes the file. */
  async finish(): Promise<void> {
    if (this.state !== 'started') throw new Error(`FragmentedMp4Writer cannot finish in state ${this.state}`);
    this.state = 'finished';
    await this.output.finalize();
  }

  /** Stops without writing a tail; the file keeps every fragment already flushed. */
  async abort(): Promise<void> {
    if (this.state === 'finished') return;
    this.state = 'finished';
    await this.output.cancel();
  }

  private newTrackState(
    source: TrackState['source'],
    timescale: number,
    nominalFrameDuration: number,
  ): TrackState {
    return { source, timescale, pendingConfig: true, started: false, closed: false, nominalFrameDuration };
  }

  private async write(kind: Kind, frame: EncodedFrame): Promise<void> {
    if (this.state !== 'started') throw new Error(`FragmentedMp4Writer cannot write in state ${this.state}`);
    const track = this.tracks.get(kind);
    if (!track) throw new Error(`FragmentedMp4Writer has no ${kind} track`);
    if (track.closed) throw new Error(`FragmentedMp4Writer: ${kind} track is closed`);
    const ptsS = frame.pts / track.timescale;
    this.timeOriginS ??= ptsS;
    // mediabunny requires the first packet of a track to be a key packet; it infers dts itself.
    if (ptsS < this.timeOriginS || (!track.started && !frame.isKey)) {
      this.stats.framesDropped[kind]++;
      return;
    }
    track.started = true;
    const durationS = (frame.duration ?? track.nominalFrameDuration) / track.timescale;
    // mediabunny takes seconds and rounds back to its track timescale (= ours), so integer timestamps
    // survive exactly; frame.dts is not passed: mediabunny infers dts from call order and sorted pts.
    const packet = new EncodedPacket(
      frame.data,
      frame.isKey ? 'key' : 'delta',
      ptsS - this.timeOriginS,
      durationS,
    );
    if (kind === 'video') {
      await (track.source as EncodedVideoPacketSource).add(packet, this.takeVideoMeta(track));
    } else {
      await (track.source as EncodedAudioPacketSource).add(packet, this.takeAudioMeta(track));
    }
    this.stats.framesWritten[kind]++;
  }

  private takeVideoMeta(track: TrackState): EncodedVideoChunkMetadata | undefined {
    const video = this.options.video;
    if (!track.pendingConfig || !video) return undefined;
    track.pendingConfig = false;
    return {
      decoderConfig: {
        codec: h264.avcCodecString(h264.parseAvcC(video.avcC)),
        codedWidth: video.width,
        codedHeight: video.height,
        description: video.avcC,
      },
    };
  }

  private takeAudioMeta(track: TrackState): EncodedAudioChunkMetadata | undefined {
    const audio = this.options.audio;
    if (!track.pendingConfig || !audio) return undefined;
    track.pendingConfig = false;
    return {
      decoderConfig: {
        codec: aac.aacCodecString(aac.parseAudioSpecificConfig(audio.audioSpecificConfig)),
        sampleRate: audio.sampleRate,
        numberOfChannels: audio.channels,
        description: audio.audioSpecificConfig,
      },
    };
  }
}
