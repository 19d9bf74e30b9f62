import { rename, stat } from 'node:fs/promises';
import type { Logger } from '../../core/index.js';
import type { RecordedFile } from './api.js';
import type { ContainerWriter } from './api.js';
import { finalizeRecording, type FinalizeDeps } from './finalize-recording.js';
import { journalPathFor, listJournals, readJournal } from './journal.js';

/**
 * Finalizes every recording left in record_tmp_dir by a crash into record_dir under its template
 * name. A file that cannot be finalized is kept, renamed *.failed with its journal, so nothing is
 * lost and it is not retried at every start.
 */
export async function recoverOrphans(
  tmpDir: string,
  writers: (container: string) => ContainerWriter | undefined,
  deps: FinalizeDeps & { log: Logger },
): Promise<RecordedFile[]> {
  const recovered: RecordedFile[] = [];
  for (const journalPath of await listJournals(tmpDir)) {
    let tmpPath = journalPath;
    try {
      const journal = await readJournal(journalPath);
      tmpPath = journal.tmpPath;
      const writer = writers(journal.container);
      if (writer === undefined) {
        deps.log.warn(
          { tmpPath },
          `orphaned ${journal.container} recording left as is: no writer for it is enabled`,
        );
        continue;
      }
      const modified = await stat(journal.tmpPath);
      const file = await finalizeRecording(
        journal,
        writer,
        { endTimeMillis: modified.mtimeMs, reason: 'recovered' },
        deps,
      );
      deps.log.info(
        { filePath: file.filePath, durationMs: file.durationMs },
        `recovered the recording of "${file.streamName}" interrupted by a crash: ${file.fileName}`,
      );
      recovered.push(file);
    } catch (error) {
      deps.log.error({ err: error, journalPath }, `cannot recover ${tmpPath}; kept as ${tmpPath}.failed`);
      await rename(tmpPath, `${tmpPath}.failed`).catch(() => undefined);
      await rename(journalPath, `${journalPathFor(tmpPath)}.failed`).catch(() => undefined);
    }
  }
  return recovered;
}
