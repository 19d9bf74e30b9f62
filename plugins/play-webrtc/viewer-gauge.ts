import { Gauge, type Registry } from 'prom-client';

/** The metric every play plugin counts its viewers in, with its own `protocol` label. */
export const VIEWERS_METRIC = 'spool_play_viewers';
const LABELS = ['stream', 'protocol'] as const;

/**
 * Connected viewers per stream in /metrics: `spool_play_viewers{stream, protocol="webrtc"}`. The gauge
 * is shared with the other play plugins (RTMP play): whichever registers first creates it, and the
 * others reuse it, with the same label names. A stream's series goes away with its last viewer.
 */
export class ViewerGauge {
  private readonly gauge: Gauge<(typeof LABELS)[number]>;

  constructor(
    registry: Registry,
    private readonly protocol: string,
  ) {
    const existing = registry.getSingleMetric(VIEWERS_METRIC);
    this.gauge =
      existing instanceof Gauge
        ? (existing as Gauge<(typeof LABELS)[number]>)
        : new Gauge({
            name: VIEWERS_METRIC,
            help: 'Viewers connected to a stream, by play protocol',
            labelNames: LABELS,
            registers: [registry],
          });
  }

  set(stream: string, viewers: number): void {
    const labels = { stream, protocol: this.protocol };
    if (viewers > 0) this.gauge.set(labels, viewers);
    else this.gauge.remove(labels);
  }
}
