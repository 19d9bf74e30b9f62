import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NamingPolicy, TemplateValues } from './file-name.js';

/**
 * The small file beside a recording in progress that holds what is needed to finish it after a
 * crash: where it goes, how it is named, and the template values known at its start.
 */
export interface RecordingJournal {
  readonly version: 1;
  readonly recordingId: string;
  readonly container: string;
  readonly extension: string;
  /** Absolute path of the file being written. */
  readonly tmpPath: string;
  /** Where the finished file goes. */
  readonly recordDir: string;
  readonly naming: NamingPolicy;
  readonly values: TemplateValues;
  readonly part?: number;
  readonly source: string;
}

export const JOURNAL_SUFFIX = '.journal.json';

export function journalPathFor(tmpPath: string): string {
  return tmpPath + JOURNAL_SUFFIX;
}

/** Written to a temporary name and renamed, so a crash never leaves half a journal. */
export async function writeJournal(journal: RecordingJournal): Promise<void> {
  const path = journalPathFor(journal.tmpPath);
  await writeFile(`${path}.new`, JSON.stringify(journal, null, 2));
  await rename(`${path}.new`, path);
}

export async function removeJournal(tmpPath: string): Promise<void> {
  await rm(journalPathFor(tmpPath), { force: true });
}

export async function readJournal(path: string): Promise<RecordingJournal> {
  const data = JSON.parse(await readFile(path, 'utf8')) as Partial<RecordingJournal>;
  if (
    data.version !== 1 ||
    typeof data.recordingId !== 'string' ||
    typeof data.tmpPath !== 'string' ||
    typeof data.recordDir !== 'string' ||
    typeof data.container !== 'string' ||
    typeof data.extension !== 'string' ||
    typeof data.naming?.template !== 'string' ||
    typeof data.values?.streamName !== 'string'
  ) {
    throw new Error(`${path} is not a Spool recording journal`);
  }
  return data as RecordingJournal;
}

/** Journals in a directory (recordings that were in progress there). */
export async function listJournals(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  return names.filter((name) => name.endsWith(JOURNAL_SUFFIX)).map((name) => join(dir, name));
}
