import type { Logger } from '../../core/index.js';

/**
 * Counts what a session drops (malformed packets, frames lost to packet loss …): the first of
 * each kind is logged at once, the totals when the session ends, so a bad camera cannot flood the log.
 */
export class DropCounter {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly streamName: string,
  ) {}

  readonly count = (what: string): void => {
    const count = (this.counts.get(what) ?? 0) + 1;
    this.counts.set(what, count);
    if (count === 1)
      this.log.warn({ stream: this.streamName }, `RTSP "${this.streamName}": dropping ${what}`);
  };

  total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** Logs the totals (once, at the end of a session) when anything was dropped. */
  logSummary(): void {
    if (this.counts.size === 0) return;
    const counts = [...this.counts].map(([what, count]) => `${what} x${count}`).join(', ');
    this.log.info({ stream: this.streamName }, `RTSP "${this.streamName}" dropped: ${counts}`);
    this.counts.clear();
  }
}
