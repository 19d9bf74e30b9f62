/**
 * Errors per recording within a sliding interval: `add` records one and says whether the limit is
 * reached. Recordings without a recent error are forgotten, so the map never grows unbounded.
 */
export class ErrorWindow {
  private readonly errors = new Map<string, number[]>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxErrors: number,
  ) {}

  /** Records an error of `recordingId` at `nowMs`; returns how many fall within the interval. */
  add(recordingId: string, nowMs: number): number {
    this.forgetIdle(nowMs);
    const recent = (this.errors.get(recordingId) ?? []).filter((t) => nowMs - t < this.intervalMs);
    recent.push(nowMs);
    this.errors.set(recordingId, recent);
    return recent.length;
  }

  limitReached(count: number): boolean {
    return count >= this.maxErrors;
  }

  get trackedRecordings(): number {
    return this.errors.size;
  }

  private forgetIdle(nowMs: number): void {
    for (const [id, times] of this.errors) {
      if (times.every((t) => nowMs - t >= this.intervalMs)) this.errors.delete(id);
    }
  }
}
