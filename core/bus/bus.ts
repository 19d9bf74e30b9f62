import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SpoolError } from '../errors.js';
import type { PublishRequest } from '../events.js';
import type { Hooks } from '../hooks.js';
import type { KernelMetrics } from '../metrics.js';
import { Stream, type StreamOwner } from './stream.js';
import type { SubscriberRole } from './subscription.js';

export interface BusOptions {
  readonly playerQueueFrames: number;
  readonly recorderQueueFrames: number;
}

const MAX_NAME_LENGTH = 1024;

/**
 * The stream bus: every published stream by name and by mediaSessionId. Publishing runs the
 * `publish` hook (any plugin may refuse) and then `published`; ending runs `unpublished`.
 */
export class StreamBus implements StreamOwner {
  private readonly byName = new Map<string, Stream>();
  private readonly byId = new Map<string, Stream>();
  /** Names whose publish is between the name check and the stream's creation. */
  private readonly pendingNames = new Set<string>();

  constructor(
    private readonly hooks: Hooks,
    private readonly log: Logger,
    private readonly metrics: KernelMetrics,
    private readonly options: BusOptions,
  ) {}

  async publish(request: PublishRequest): Promise<Stream> {
    validateStreamName(request.name);
    this.reserveName(request.name);
    let stream: Stream;
    try {
      const refusal = await this.hooks.call('publish', request);
      if (refusal !== undefined) {
        throw new SpoolError(
          'SPOOL_ERR_PUBLISH_REFUSED',
          `publish of "${request.name}" refused: ${refusal.reason}`,
          refusal.status === undefined ? undefined : { status: refusal.status },
        );
      }
      stream = new Stream(
        this,
        randomUUID(),
        request.name,
        request.login,
        request.source,
        request.record,
        { ...request.query },
        request.tracks,
      );
      this.byName.set(stream.name, stream);
      this.byId.set(stream.mediaSessionId, stream);
    } finally {
      this.pendingNames.delete(request.name);
    }
    this.metrics.streamsPublished.inc({ source: stream.source });
    this.log.info(
      { stream: stream.name, mediaSessionId: stream.mediaSessionId, source: stream.source },
      `stream "${stream.name}" published from ${stream.source}`,
    );
    await this.hooks.call('published', { stream });
    return stream;
  }

  find(name: string): Stream | undefined {
    return this.byName.get(name);
  }

  get(mediaSessionId: string): Stream | undefined {
    return this.byId.get(mediaSessionId);
  }

  list(): Stream[] {
    return [...this.byId.values()];
  }

  /** Ends every stream (shutdown); resolves when every `unpublished` hook has run. */
  async endAll(reason: string): Promise<void> {
    await Promise.all(this.list().map((stream) => stream.end(reason)));
  }

  defaultQueueFrames(role: SubscriberRole): number {
    return role === 'player' ? this.options.playerQueueFrames : this.options.recorderQueueFrames;
  }

  onSubscribersChanged(delta: number): void {
    this.metrics.subscribers.inc(delta);
  }

  countDropped(role: SubscriberRole, frames: number): void {
    if (frames > 0) this.metrics.framesDropped.inc({ role }, frames);
  }

  release(stream: Stream): void {
    if (this.byId.get(stream.mediaSessionId) !== stream) return;
    this.byId.delete(stream.mediaSessionId);
    this.byName.delete(stream.name);
    this.metrics.streamsPublished.dec({ source: stream.source });
  }

  async onEnded(stream: Stream, reason: string): Promise<void> {
    this.log.info(
      { stream: stream.name, mediaSessionId: stream.mediaSessionId, reason },
      `stream "${stream.name}" unpublished: ${reason}`,
    );
    await this.hooks.call('unpublished', { stream: stream.info(), reason });
  }

  private reserveName(name: string): void {
    if (this.byName.has(name) || this.pendingNames.has(name)) {
      throw new SpoolError('SPOOL_ERR_STREAM_NAME_IN_USE', `stream name "${name}" is already published`);
    }
    this.pendingNames.add(name);
  }
}

/**
 * Names reach file templates, URLs and logs. The bus accepts any printable name; writers make
 * file names safe themselves. Control characters and absurd lengths are refused here.
 */
export function validateStreamName(name: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new SpoolError(
      'SPOOL_ERR_STREAM_NAME_INVALID',
      `stream name ${JSON.stringify(name.slice(0, 64))} must be 1-${MAX_NAME_LENGTH} printable characters`,
    );
  }
}
