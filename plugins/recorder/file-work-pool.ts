import { Piscina } from 'piscina';
import type { FileTask } from './file-work-worker.js';

/**
 * The worker pool for finalizing, recovering and cutting recordings
 * (file_recorder_thread_pool_max_size threads at most; idle threads exit).
 */
export class FileWorkPool {
  private readonly pool: Piscina<FileTask, unknown>;

  constructor(maxThreads: number) {
    this.pool = new Piscina({
      filename: new URL('./file-work-worker.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: Math.max(1, maxThreads),
      idleTimeout: 30_000,
    });
  }

  run<T>(task: FileTask): Promise<T> {
    return this.pool.run(task) as Promise<T>;
  }

  get queued(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
