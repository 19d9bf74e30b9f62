import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics the kernel keeps; plugins add their own to `registry`. */
export interface KernelMetrics {
  readonly registry: Registry;
  readonly streamsPublished: Gauge<'source'>;
  readonly subscribers: Gauge;
  readonly viewers: Gauge<'protocol' | 'stream'>;
  readonly framesDropped: Counter<'role'>;
  readonly pluginErrors: Counter<'plugin'>;
}

export function createKernelMetrics(): KernelMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    streamsPublished: new Gauge({
      name: 'spool_streams_published',
      help: 'Streams currently published on the bus',
      labelNames: ['source'],
      registers: [registry],
    }),
    subscribers: new Gauge({
      name: 'spool_bus_subscribers',
      help: 'Active bus subscriptions (players and recorders)',
      registers: [registry],
    }),
    viewers: new Gauge({
      name: 'spool_play_viewers',
      help: 'Viewers connected per stream, by play protocol (webrtc, rtmp, …)',
      labelNames: ['protocol', 'stream'],
      registers: [registry],
    }),
    framesDropped: new Counter({
      name: 'spool_bus_frames_dropped_total',
      help: 'Frames dropped from subscriber queues (overflow or waiting for a keyframe)',
      labelNames: ['role'],
      registers: [registry],
    }),
    pluginErrors: new Counter({
      name: 'spool_plugin_errors_total',
      help: 'Errors reported by plugins (failed hook taps, failed background work)',
      labelNames: ['plugin'],
      registers: [registry],
    }),
  };
}
