import {
  createToken,
  type AudioCodec,
  type Frame,
  type HookKinds,
  type HooksOf,
  type Logger,
  type StreamInfo,
  type Track,
} from '../../core/index.js';
import type { AudioTranscoderFactory } from '../../lib/transcode/audio-transcoder.js';
import type { FileTask } from './file-work-worker.js';

export type { FileTask } from './file-work-worker.js';
export type {
  AudioTranscoder,
  AudioTranscoderFactory,
  AudioTranscoderOptions,
} from '../../lib/transcode/audio-transcoder.js';
export { singleTrackProblem, type SingleTrackContainer } from '../../lib/codecs/track-check.js';

/** Waterfall value of `recordingStart`: the settings a recording is about to start with. */
export interface RecordingSettings {
  readonly stream: StreamInfo;
  /** stream_record_policy_template or the REST override. */
  fileTemplate: string;
  /**
   * Seconds ("20"), megabytes ("10M") or "disabled"; undefined = the server's record_rotation
   * (the rotation plugin applies it; without that plugin nothing is rotated).
   */
  rotation?: string;
  /** Number the parts _1, _2 … (the rotation plugin sets it when it rotates and record_rotation_index_enabled). */
  numberParts?: boolean;
  /**
   * A multi-stream recording (several streams mixed into one file), set by whoever starts it.
   * Rotation never applies to one, whatever record_rotation or a REST "rotation" says.
   */
  readonly multiStream?: boolean;
  /** A tap may set false to skip this recording (reason is logged). */
  record: boolean;
  skipReason?: string;
  /** Who asked: the server's policy, the publisher's flag or the REST API. */
  readonly origin: 'policy' | 'publisher' | 'rest';
}

/** Waterfall value of `fileName`: a tap may rewrite the base name (without extension). */
export interface FileNameArgs {
  readonly stream: StreamInfo;
  name: string;
  readonly extension: string;
  readonly part?: number;
}

export type RecordingEndReason =
  'stopped' | 'unpublished' | 'rotation' | 'disk-space' | 'errors' | 'recovered' | 'shutdown';

/** One finished file: argument of `segmentClosed` and `recordingFinished`. */
export interface RecordedFile {
  readonly recordingId: string;
  readonly streamName: string;
  readonly mediaSessionId: string;
  readonly login: string;
  /** Absolute path of the finished file in record_dir. */
  readonly filePath: string;
  readonly fileName: string;
  readonly container: string;
  readonly part?: number;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly startTimeMillis: number;
  readonly endTimeMillis: number;
  readonly reason: RecordingEndReason;
}

/**
 * The recorder's hooks: a recording's settings and file name can be changed by other plugins, and
 * every finished file is announced. Tap them through RecorderHooksToken (list 'recorder' in
 * dependsOn or optionalDependsOn); taps are named after the tapping plugin and guarded.
 */
export type RecorderHookSignatures = {
  /** Waterfall over the settings a recording starts with (rotation sets its limit here). */
  recordingStart: { arg: RecordingSettings; result: RecordingSettings; kind: 'waterfall' };
  /** Waterfall over a finished file's base name (without extension), before it is moved to record_dir. */
  fileName: { arg: FileNameArgs; result: FileNameArgs; kind: 'waterfall' };
  /** One file (or rotation part) closed and moved to record_dir. */
  segmentClosed: { arg: RecordedFile; result: void; kind: 'parallel' };
  /** A finished file ready for consumers: hook scripts, callbacks, uploads. */
  recordingFinished: { arg: RecordedFile; result: void; kind: 'parallel' };
};

export const RECORDER_HOOK_KINDS: HookKinds<RecorderHookSignatures> = Object.freeze({
  recordingStart: 'waterfall',
  fileName: 'waterfall',
  segmentClosed: 'parallel',
  recordingFinished: 'parallel',
});

export type RecorderHooks = HooksOf<RecorderHookSignatures>;
export const RecorderHooksToken = createToken<RecorderHooks>('recorder.hooks');

/**
 * What a container writer plugin (writer-mp4, writer-webm …) gives the recorder. The recorder
 * decides what to record, when and under which name; a writer only turns frames into a file.
 */
export interface ContainerWriter {
  /** 'mp4' | 'webm' | 'mkv' | 'ts' — the name record_formats uses after the codec. */
  readonly container: string;
  /** File extension without the dot. */
  readonly extension: string;
  /**
   * Audio codecs the container holds, preferred first. Audio in another codec is transcoded to the
   * first one (by the transcoder plugin) or, without it, left out of the file with a warning.
   */
  readonly audioCodecs: readonly AudioCodec[];
  /** Why these tracks cannot be written (a codec the container cannot hold), or undefined. */
  unsupported(tracks: readonly Track[]): string | undefined;
  /** Opens a crash-safe file in record_tmp_dir; tracks carry their decoder configs. */
  open(options: OpenWriterOptions): Promise<RecordingFileWriter>;
  /**
   * Where the finalizer runs: a module URL and the name of an exported
   * `(tmpPath: string, finalPath: string, options: FinalizeOptions) => Promise<FinalizeResult>`.
   * It runs on the recorder's worker pool, and it must also accept a file cut short by a crash.
   */
  readonly finalizer: { readonly module: string; readonly exportName: string };
  /** Writer-specific options passed to the finalizer (e.g. moov placement). */
  finalizeOptions(): FinalizeOptions;
}

export interface OpenWriterOptions {
  readonly tmpPath: string;
  readonly tracks: readonly Track[];
  readonly log: Logger;
}

/** One file being written. Timestamps of frames start near 0 (the recorder rebases them). */
export interface RecordingFileWriter {
  /** Frames in decode order per track; resolves when the frame is accepted (may apply backpressure). */
  write(frame: Frame): Promise<void>;
  /** Bytes in the file so far (rotation by size). */
  readonly bytesWritten: number;
  /** Flushes everything and closes the file; it is then complete and crash-safe. */
  close(): Promise<void>;
}

export type FinalizeOptions = Readonly<Record<string, string | number | boolean>>;

export interface FinalizeResult {
  readonly durationMs: number;
  readonly sizeBytes: number;
}

/** Writers register themselves here in their register(); they list 'recorder' in dependsOn. */
export interface WriterRegistry {
  register(writer: ContainerWriter): void;
  get(container: string): ContainerWriter | undefined;
}

export const WriterRegistryToken = createToken<WriterRegistry>('recorder.writers');

/** One running recording, as the REST API lists it. */
export interface RecordingStatus {
  readonly recordingId: string;
  readonly mediaSessionId: string;
  readonly streamName: string;
  /** The file name; elements known only at the end (e.g. {endTime}) stay unresolved. */
  readonly fileName: string;
  readonly state: string;
}

/** What a start on demand may set for that one recording (RecordingSettings of the same names). */
export interface RecordingOverrides {
  readonly fileTemplate?: string;
  /** Overrides record_rotation ("disabled" turns it off). */
  readonly rotation?: string;
  /** A multi-stream recording: never rotated (RecordingSettings.multiStream). */
  readonly multiStream?: boolean;
}

/** Recording on demand, for the REST API and other plugins. */
export interface RecorderService {
  /** Starts recording a published stream (a running recording of it is stopped first). */
  start(mediaSessionId: string, overrides?: RecordingOverrides): Promise<RecordingStatus>;
  /**
   * Stops the stream's recording (reason default 'stopped'); resolves with the last finished file,
   * or undefined when there was none.
   */
  stop(mediaSessionId: string, reason?: RecordingEndReason): Promise<RecordedFile | undefined>;
  list(): RecordingStatus[];
  /**
   * The files recorded from a media session (every part), oldest first, once finalized: what the
   * reference's getRecordInfo tells a publisher after it stops. Kept for the last few thousand sessions.
   */
  filesOf(mediaSessionId: string): readonly RecordedFile[];
  /** Resolves when the start-up recovery of orphaned recordings is done. */
  readonly recovered: Promise<readonly RecordedFile[]>;
}

export const RecorderServiceToken = createToken<RecorderService>('recorder.service');

/**
 * The recorder's worker pool (file_recorder_thread_pool_max_size threads): finalizing, recovering
 * and cutting recordings run here, never on the ingest event loop.
 */
export interface FileWork {
  run<T>(task: FileTask): Promise<T>;
  /** Tasks waiting for a free thread. */
  readonly queued: number;
}

export const FileWorkToken = createToken<FileWork>('recorder.fileWork');

/** The transcoder plugin registers its factory here (it lists 'recorder' in dependsOn). */
export interface TranscoderRegistry {
  registerTranscoder(factory: AudioTranscoderFactory): void;
}

export const TranscoderRegistryToken = createToken<TranscoderRegistry>('recorder.transcoders');

/** What a recording policy sees of one running recording and its current part. */
export interface RecordingView {
  readonly recordingId: string;
  readonly stream: StreamInfo;
  readonly settings: Readonly<RecordingSettings>;
  readonly container: string;
  /** Number of the current part, from 1. */
  readonly part: number;
  /** Bytes written to the current part's file. */
  readonly partBytes: number;
  /** Media time of the current part so far, in ms. */
  readonly partDurationMs: number;
  /** Whether the recording has video (parts then start at video keyframes). */
  readonly hasVideo: boolean;
  readonly recordDir: string;
  readonly tmpDir: string;
}

/** Before a recording or one of its parts starts. */
export interface PartStartView {
  readonly stream: StreamInfo;
  readonly settings: Readonly<RecordingSettings>;
  /** The part about to start (1 for a recording's start). */
  readonly part: number;
  readonly recordDir: string;
  readonly tmpDir: string;
}

export interface PartRefusal {
  readonly reason: RecordingEndReason;
  readonly message: string;
}

export type PolicyVerdict =
  /** A keyframe is wanted soon (a split is coming): the publisher is asked for one. */
  | { readonly action: 'keyframe' }
  /** Start a new part at the next split point (a video keyframe; any frame for audio only). */
  | { readonly action: 'split' }
  /** Stop the recording now; the file closes playable. `message` is logged. */
  | { readonly action: 'stop'; readonly reason: RecordingEndReason; readonly message: string };

/**
 * A plugin that shapes recordings (rotation, disk-guard, error-policy). Every method is optional and
 * must be cheap: `check` runs after every written frame. A policy that throws is reported and ignored.
 */
export interface RecordingPolicy {
  readonly name: string;
  /**
   * Refuse a recording or a new part (the recording then stops with `reason`; `message` is logged),
   * or undefined to allow it.
   */
  beforePart?(view: PartStartView): PartRefusal | undefined | Promise<PartRefusal | undefined>;
  /** After each written frame. */
  check?(view: RecordingView): PolicyVerdict | undefined;
  /** A recording error (write, transcode, bus overflow), counted by where it came from. */
  onError?(view: RecordingView, where: string, error: unknown): PolicyVerdict | undefined;
}

export interface RecordingPolicyRegistry {
  registerPolicy(policy: RecordingPolicy): void;
}

export const RecordingPolicyRegistryToken = createToken<RecordingPolicyRegistry>('recorder.policies');
