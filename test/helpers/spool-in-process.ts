import { join, relative } from 'node:path';
import { Spool } from '../../core/index.js';
import { type RecordedFile, RecorderHooksToken } from '../../plugins/recorder/api.js';
import { LogCapture } from './log.js';
import type { TempDir } from './tmp.js';

export interface InProcessOptions {
  /** Built-in plugins to enable, in order. */
  readonly plugins: readonly string[];
  /** Third-party plugins: name → absolute path of the compiled module. */
  readonly modules?: Readonly<Record<string, string>>;
  /** Extra `section.key=value` settings. */
  readonly sets?: readonly string[];
}

export interface InProcessSpool {
  readonly spool: Spool;
  readonly dir: string;
  readonly recordDir: string;
  readonly log: LogCapture;
  /** Every recordingFinished, in order. */
  readonly finished: RecordedFile[];
  stop(): Promise<void>;
}

/**
 * A Spool in this process with only the given plugins, HTTP on a free loopback port, its record_dir
 * and data dir in a new directory under `tmp`, logs captured.
 */
export async function startSpool(tmp: TempDir, options: InProcessOptions): Promise<InProcessSpool> {
  const dir = nextDir(tmp);
  const modules = options.modules ?? {};
  const pluginsFile = join(dir, 'plugins.json');
  tmp.json(relative(tmp.path, pluginsFile), {
    plugins: [
      ...options.plugins.map((name) => ({ name, enabled: true })),
      ...Object.entries(modules).map(([name, path]) => ({
        name,
        enabled: true,
        module: `./${relative(dir, path)}`,
      })),
    ],
  });
  const recordDir = join(dir, 'records');
  const log = new LogCapture();
  const spool = await Spool.create({
    pluginsFile,
    sets: [
      'http.port=0',
      'http.host=127.0.0.1',
      `recorder.recordDir=${recordDir}`,
      `dataDir=${join(dir, 'data')}`,
      ...(options.sets ?? []),
    ],
    env: {},
    logDestination: log,
  });
  const finished: RecordedFile[] = [];
  spool.hookCatalogue(RecorderHooksToken).tap('test', 'recordingFinished', (file) => {
    finished.push(file);
  });
  await spool.start();
  return { spool, dir, recordDir, log, finished, stop: () => spool.stop() };
}

let counter = 0;
function nextDir(tmp: TempDir): string {
  return join(tmp.path, `spool-${++counter}`);
}
