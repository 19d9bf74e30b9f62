import { Gauge, type Registry } from 'prom-client';
import type { RtmpViewers } from './api.js';

/**
 * One gauge for every play protocol (`spool_play_viewers{protocol, stream}`): each play plugin sets
 * its own `protocol` label, so whichever registers it first creates it and the others reuse it.
 */
const METRIC = 'spool_play_viewers';
const LABELS = ['protocol', 'stream'] as const;

/** Players per stream (by mediaSessionId), mirrored in /metrics with protocol="rtmp". */
export class ViewerCounts implements RtmpViewers {
  private readonly byStream = new Map<string, number>();
  /** By stream name: the gauge's label (a name may outlive one media session). */
  private readonly byName = new Map<string, number>();
  private readonly gauge: Gauge<(typeof LABELS)[number]>;

  constructor(registry: Registry) {
    const existing = registry.getSingleMetric(METRIC) as Gauge<(typeof LABELS)[number]> | undefined;
    this.gauge =
      existing ??
      new Gauge({
        name: METRIC,
        help: 'Players connected per stream, by play protocol',
        labelNames: LABELS,
        registers: [registry],
      });
  }

  get total(): number {
    let total = 0;
    for (const count of this.byStream.values()) total += count;
    return total;
  }

  viewers(mediaSessionId: string): number {
    return this.byStream.get(mediaSessionId) ?? 0;
  }

  /** Counts a player in; the function it returns counts it out (once). */
  add(mediaSessionId: string, streamName: string): () => void {
    bump(this.byStream, mediaSessionId, 1);
    bump(this.byName, streamName, 1);
    const labels = { protocol: 'rtmp', stream: streamName };
    this.gauge.inc(labels);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      bump(this.byStream, mediaSessionId, -1);
      // a name's series goes when its last player does, so /metrics does not keep every name ever played
      if (bump(this.byName, streamName, -1) === 0) this.gauge.remove(labels);
      else this.gauge.dec(labels);
    };
  }
}

/** Adds `delta` to a count, deleting it at 0; returns the new count. */
function bump(counts: Map<string, number>, key: string, delta: number): number {
  const count = (counts.get(key) ?? 0) + delta;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
  return Math.max(count, 0);
}
