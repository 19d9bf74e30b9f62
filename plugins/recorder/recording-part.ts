import { join } from 'node:path';
import type { Frame, Logger, StreamInfo, Track } from '../../core/index.js';
import type { RecordedFile, RecordingEndReason } from './api.js';
import type { ContainerWriter, RecordingFileWriter } from './api.js';
import { finalizeRecording, type FinalizeDeps } from './finalize-recording.js';
import { recordingFileName, type NamingPolicy, type TemplateValues } from './file-name.js';
import { writeJournal, type RecordingJournal } from './journal.js';

export interface PartOptions {
  readonly recordingId: string;
  /** 1, 2 … ; `numbered` says whether the name shows it. */
  readonly part: number;
  readonly numbered: boolean;
  readonly writer: ContainerWriter;
  readonly tracks: readonly Track[];
  readonly naming: NamingPolicy;
  readonly recordDir: string;
  readonly tmpDir: string;
  readonly source: string;
  /** Template values known at the recording's start ({startTime} is filled per part). */
  readonly values: TemplateValues;
  /** Where this part starts on the recording's timeline, in seconds. */
  readonly baseS: number;
  /**
   * Stream time (ms) of the recording's timeline 0, on the publisher's clock when the stream has one
   * (Stream.clockOriginMs): {startTime} of the part is this + baseS.
   */
  readonly streamStartMs: number;
  readonly deps: FinalizeDeps;
  readonly log: Logger;
}

/**
 * One file of a recording (the whole recording, or one rotation part): frames on the recording's
 * timeline go in moved to the part's own 0, and at the end the file is finalized into record_dir.
 */
export class RecordingPart {
  readonly tmpPath: string;
  private file: RecordingFileWriter | undefined;
  private journal: RecordingJournal;
  private readonly trackById: Map<number, Track>;
  /** Greatest presentation end on the part's timeline, in seconds (its duration so far). */
  private endS = 0;

  constructor(private readonly options: PartOptions) {
    const { writer, tmpDir, recordingId, part } = options;
    this.tmpPath = join(tmpDir, `.spool-${recordingId}${part > 1 ? `-${part}` : ''}.${writer.extension}`);
    this.trackById = new Map(options.tracks.map((t) => [t.id, t]));
    this.journal = {
      version: 1,
      recordingId,
      container: writer.container,
      extension: writer.extension,
      tmpPath: this.tmpPath,
      recordDir: options.recordDir,
      naming: options.naming,
      values: {
        ...options.values,
        startTime: options.streamStartMs + options.baseS * 1000,
        startTimeMillis: Date.now(),
      },
      ...(options.numbered ? { part } : {}),
      source: options.source,
    };
  }

  get part(): number {
    return this.options.part;
  }

  get trackIds(): number[] {
    return [...this.trackById.keys()];
  }

  get baseS(): number {
    return this.options.baseS;
  }

  get bytesWritten(): number {
    return this.file?.bytesWritten ?? 0;
  }

  get durationMs(): number {
    return this.endS * 1000;
  }

  /** The name the file will get; elements known only at the end stay unresolved. */
  get fileName(): string {
    return recordingFileName(this.options.naming, this.journal.values, {
      extension: this.options.writer.extension,
      ...(this.journal.part === undefined ? {} : { part: this.journal.part }),
    });
  }

  /** Writes the journal (so a crash is recoverable) and opens the file. */
  async open(): Promise<void> {
    await writeJournal(this.journal);
    this.file = await this.options.writer.open({
      tmpPath: this.tmpPath,
      tracks: this.options.tracks,
      log: this.options.log,
    });
  }

  /** A frame on the recording's timeline; frames before the part's start are not written. */
  async write(frame: Frame): Promise<void> {
    const track = this.trackById.get(frame.trackId);
    if (this.file === undefined || track === undefined) return;
    const base = Math.round(this.options.baseS * track.timescale);
    const pts = frame.pts - base;
    if (pts < 0) return;
    await this.file.write({ ...frame, pts, dts: frame.dts - base });
    this.endS = Math.max(this.endS, pts / track.timescale);
  }

  /** Closes the file and finalizes it into record_dir; rejects when it cannot be finalized. */
  async close(reason: RecordingEndReason, stream: StreamInfo): Promise<RecordedFile> {
    try {
      await this.file?.close();
    } catch (error) {
      this.options.log.error({ err: error }, 'closing the recording file failed; finalizing what is on disk');
    }
    return finalizeRecording(
      this.journal,
      this.options.writer,
      {
        endTimeMillis: Date.now(),
        endTime: (this.journal.values.startTime ?? 0) + this.endS * 1000,
        reason,
        stream,
      },
      this.options.deps,
    );
  }
}
