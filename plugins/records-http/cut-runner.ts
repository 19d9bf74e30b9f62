import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { FileWork } from '../recorder/api.js';
import type { CutOptions, CutResult } from '../../lib/mp4/cut/cut-mp4.js';

/** Runs cutMp4 off the event loop. */
export interface CutRunner {
  /** 'recorder' when the recorder's worker pool runs the cuts, 'own' for records-http's own pool. */
  readonly pool: 'recorder' | 'own';
  cut(source: string, target: string, options: CutOptions): Promise<CutResult>;
  close(): Promise<void>;
}

const CUT_MODULE = new URL('../../lib/mp4/cut/cut-mp4.js', import.meta.url).href;

/** Threads of the own pool: cuts are short, and this pool exists only when the recorder is disabled. */
const OWN_POOL_MAX_THREADS = Math.min(2, availableParallelism());

/** Cuts on the recorder's pool (file_recorder_thread_pool_max_size threads, shared with finalizing). */
function recorderRunner(work: FileWork): CutRunner {
  return {
    pool: 'recorder',
    cut: (source, target, options) =>
      work.run<CutResult>({ module: CUT_MODULE, exportName: 'cutMp4', args: [source, target, options] }),
    close: () => Promise.resolve(),
  };
}

/** Cuts on a small pool of records-http's own, created on the first cut; idle threads exit. */
function ownRunner(): CutRunner {
  let pool: Piscina | undefined;
  return {
    pool: 'own',
    cut: (source, target, options) => {
      pool ??= new Piscina({
        filename: CUT_MODULE,
        minThreads: 0,
        maxThreads: OWN_POOL_MAX_THREADS,
        idleTimeout: 30_000,
      });
      return pool.run({ source, target, options }, { name: 'cutMp4Task' }) as Promise<CutResult>;
    },
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}

/** The recorder's pool when the recorder is enabled, else an own one. */
export function createCutRunner(recorderWork: FileWork | undefined): CutRunner {
  return recorderWork === undefined ? ownRunner() : recorderRunner(recorderWork);
}
