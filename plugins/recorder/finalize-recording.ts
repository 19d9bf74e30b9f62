import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { HookCatalogue, Logger, StreamInfo } from '../../core/index.js';
import type {
  ContainerWriter,
  FinalizeResult,
  RecordedFile,
  RecorderHookSignatures,
  RecordingEndReason,
} from './api.js';
import type { FileWorkPool } from './file-work-pool.js';
import {
  makeSafe,
  recordingFileName,
  trimToBytes,
  MAX_FILE_NAME_BYTES,
  type TemplateValues,
} from './file-name.js';
import { removeJournal, type RecordingJournal } from './journal.js';

export interface FinalizeDeps {
  readonly pool: FileWorkPool;
  readonly hooks: HookCatalogue<RecorderHookSignatures>;
  readonly log: Logger;
}

export interface EndValues {
  readonly endTime?: number;
  readonly endTimeMillis: number;
  readonly reason: RecordingEndReason;
  /** The stream, when it is still known (not after a crash). */
  readonly stream?: StreamInfo;
}

/**
 * Turns a recording's crash-safe file into the finished file in record_dir: the writer's finalizer
 * runs on the worker pool into a hidden file there, the name is rendered now that the end is
 * known, and the file is renamed into place, so no reader ever sees half a recording.
 */
export async function finalizeRecording(
  journal: RecordingJournal,
  writer: ContainerWriter,
  end: EndValues,
  deps: FinalizeDeps,
): Promise<RecordedFile> {
  // Named after the temporary file (unique per part), hidden until it is complete.
  const stem = basename(journal.tmpPath, `.${journal.extension}`);
  const partial = join(journal.recordDir, `${stem}.finalizing.${journal.extension}`);
  let result: FinalizeResult;
  try {
    result = await deps.pool.run<FinalizeResult>({
      module: writer.finalizer.module,
      exportName: writer.finalizer.exportName,
      args: [journal.tmpPath, partial, writer.finalizeOptions()],
    });
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const values: TemplateValues = {
    ...journal.values,
    endTimeMillis: end.endTimeMillis,
    endTime: end.endTime ?? (journal.values.startTime ?? 0) + result.durationMs,
    durationMs: result.durationMs,
  };
  const suggested = recordingFileName(journal.naming, values, {
    extension: journal.extension,
    ...(journal.part === undefined ? {} : { part: journal.part }),
  });
  const fileName = await applyFileNameHook(suggested, journal, end.stream, deps.hooks);
  const filePath = join(journal.recordDir, fileName);
  if (existsSync(filePath)) deps.log.warn({ filePath }, `replacing the existing recording ${fileName}`);
  await rename(partial, filePath);
  await rm(journal.tmpPath, { force: true });
  await removeJournal(journal.tmpPath);
  return {
    recordingId: journal.recordingId,
    streamName: journal.values.streamName,
    mediaSessionId: journal.values.mediaSessionId,
    login: journal.values.login,
    filePath,
    fileName,
    container: journal.container,
    ...(journal.part === undefined ? {} : { part: journal.part }),
    durationMs: result.durationMs,
    sizeBytes: result.sizeBytes,
    startTimeMillis: journal.values.startTimeMillis ?? end.endTimeMillis,
    endTimeMillis: end.endTimeMillis,
    reason: end.reason,
  };
}

/** The `fileName` hook may rename; whatever it returns is made safe again. */
async function applyFileNameHook(
  suggested: string,
  journal: RecordingJournal,
  stream: StreamInfo | undefined,
  hooks: HookCatalogue<RecorderHookSignatures>,
): Promise<string> {
  if (!hooks.isUsed('fileName') || stream === undefined) return suggested;
  const suffix = `.${journal.extension}`;
  const base = suggested.slice(0, -suffix.length);
  const result = await hooks.call('fileName', {
    stream,
    name: base,
    extension: journal.extension,
    ...(journal.part === undefined ? {} : { part: journal.part }),
  });
  const safe = makeSafe(result.name) || base;
  return trimToBytes(safe, MAX_FILE_NAME_BYTES - Buffer.byteLength(suffix)) + suffix;
}
