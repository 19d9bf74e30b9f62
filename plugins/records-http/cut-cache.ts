import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError, errorMessage, type Logger } from '../../core/index.js';
import type { Counter } from 'prom-client';
import { cutFileName, type CutRange } from './cut-request.js';
import type { CutRunner } from './cut-runner.js';
import { CUT_TEMP_PREFIX, CUT_TEMP_SUFFIX } from '../../lib/mp4/cut/cut-temp-path.js';

export type CutOutcome = 'written' | 'reused' | 'refused' | 'failed';

export interface CutCacheDeps {
  /** mp4_cutter_dir (absolute). */
  readonly dir: string;
  readonly runner: CutRunner;
  readonly log: Logger;
  readonly cuts: Counter<'result'>;
}

/**
 * Cuts of MP4 recordings, written once to mp4_cutter_dir as NAME-sS-eE.mp4 and served from there
 * afterwards (until the recording itself changes). Concurrent requests for the same cut share one
 * piece of work; a failed cut leaves nothing behind, so the next request tries again.
 */
export class CutCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly deps: CutCacheDeps) {}

  /** The path of the cut `range` of the recording at `source` (requested as `name`), made if needed. */
  get(source: string, name: string, range: CutRange): Promise<string> {
    const target = join(this.deps.dir, cutFileName(name, range));
    let flight = this.inflight.get(target);
    if (flight === undefined) {
      flight = this.produce(source, target, name, range).finally(() => this.inflight.delete(target));
      this.inflight.set(target, flight);
    }
    return flight;
  }

  /** Resolves when the cuts under way are done (at stop). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Removes temp files of cuts cut short by a crash (older than `ageMs`, in case another process writes). */
  async removeStaleTemps(ageMs: number): Promise<void> {
    const names = await readdir(this.deps.dir).catch(() => [] as string[]);
    const stale = names.filter((n) => n.startsWith(CUT_TEMP_PREFIX) && n.endsWith(CUT_TEMP_SUFFIX));
    for (const name of stale) {
      const path = join(this.deps.dir, name);
      const stats = await stat(path).catch(() => undefined);
      if (stats !== undefined && Date.now() - stats.mtimeMs > ageMs) await rm(path, { force: true });
    }
  }

  // The freshness check runs inside the shared flight: a request arriving while the cut is being
  // renamed into place then joins it instead of starting a second one.
  private async produce(source: string, target: string, name: string, range: CutRange): Promise<string> {
    const [sourceStats, cached] = await Promise.all([stat(source), stat(target).catch(() => undefined)]);
    if (cached?.isFile() === true && cached.mtimeMs >= sourceStats.mtimeMs) {
      this.deps.cuts.inc({ result: 'reused' });
      return target;
    }
    const cutName = cutFileName(name, range);
    const startedMs = performance.now();
    let result;
    try {
      result = await this.deps.runner.cut(source, target, range);
    } catch (error) {
      this.deps.cuts.inc({ result: 'failed' });
      this.deps.log.error({ err: error, source, target }, `cannot cut ${cutName}: ${errorMessage(error)}`);
      throw new SpoolError('SPOOL_ERR_INTERNAL', `cannot cut ${name}`, { cause: error });
    }
    if (!result.ok) {
      this.deps.cuts.inc({ result: 'refused' });
      throw new SpoolError(
        'SPOOL_ERR_BAD_REQUEST',
        `start (${range.startS} s) is not before the end of ${name} (${result.sourceDurationS} s)`,
      );
    }
    const elapsedMs = Math.round(performance.now() - startedMs);
    this.deps.cuts.inc({ result: 'written' });
    this.deps.log.info(
      { cut: cutName, sizeBytes: result.sizeBytes, elapsedMs, copiedFromS: result.copiedFromS },
      `cut written: ${cutName} (${result.sizeBytes} bytes in ${elapsedMs} ms on the ${this.deps.runner.pool} pool, from ${result.copiedFromS.toFixed(3)} s)`,
    );
    if (result.discarded.length > 0) {
      this.deps.log.warn({ cut: cutName }, `tracks left out of ${cutName}: ${result.discarded.join('; ')}`);
    }
    return target;
  }
}
