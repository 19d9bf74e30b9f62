import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Runs in a worker thread of the file-work pool. A task names a module and one of its exported
 * functions (writers export their finalizers this way), so CPU-heavy file work never runs on the
 * ingest event loop.
 */
export interface FileTask {
  /** file: URL of an ES module. */
  readonly module: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
}

/**
 * On a small machine a finalization competes with the ingest thread for the cores; Linux schedules
 * threads one by one, so this thread lowers its own priority (nice 10) and the ingest thread wins.
 * Best effort: elsewhere, or without /proc, it just keeps the process's priority.
 */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 10);
  } catch {
    // not Linux, or not allowed: run at normal priority
  }
}

lowerThisThreadsPriority();

export default async function runFileTask(task: FileTask): Promise<unknown> {
  const loaded = (await import(task.module)) as Record<string, unknown>;
  const fn = loaded[task.exportName];
  if (typeof fn !== 'function')
    throw new Error(`${task.module} does not export a function ${task.exportName}`);
  return (fn as (...args: unknown[]) => unknown)(...task.args);
}
