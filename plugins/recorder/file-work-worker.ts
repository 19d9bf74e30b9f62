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

export default async function runFileTask(task: FileTask): Promise<unknown> {
  const loaded = (await import(task.module)) as Record<string, unknown>;
  const fn = loaded[task.exportName];
  if (typeof fn !== 'function')
    throw new Error(`${task.module} does not export a function ${task.exportName}`);
  return (fn as (...args: unknown[]) => unknown)(...task.args);
}
