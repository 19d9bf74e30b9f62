import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SpoolError, errorMessage, isSpoolError } from '../errors.js';
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
/** How long `demand` waits for a provider by default. */
export const DEFAULT_DEMAND_TIMEOUT_MS = 30_000;
/** A provider that ignores its timeout is given up this much later. */
const DEMAND_GRACE_MS = 1000;

/**
 * A plugin that can bring a stream onto the bus when someone asks for it by name and nobody
 * publishes it: the RTSP ingest pulls a camera for a name `rtsp://…`. See `StreamBus.demand`.
 */
export interface StreamProvider {
  /** Who pulls (the plugin's name), for logs and errors. */
  readonly name: string;
  /** Whether this provider can pull a stream of this name. Synchronous and cheap. */
  accepts(name: string): boolean;
  /**
   * The name the pulled stream will have on the bus, when it differs from the name asked for: e.g. a
   * URI without its credentials. It must never contain credentials; default: the name itself.
   */
  streamName?(name: string): string;
  /**
   * Brings the stream onto the bus (or finds the one it already pulls) and resolves with it once it is
   * published. Rejects when it cannot within `timeoutMs`; the reason reaches the caller, so it must
   * not contain credentials.
   */
  pull(name: string, options: { readonly timeoutMs: number }): Promise<Stream>;
}

export interface DemandOptions {
  /** How long a provider may take to bring the stream (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * The stream bus: every published stream by name and by mediaSessionId. Publishing runs the
 * `publish` hook (any plugin may refuse) and then `published`; ending runs `unpublished`.
 */
export class StreamBus implements StreamOwner {
  private readonly byName = new Map<string, Stream>();
  private readonly byId = new Map<string, Stream>();
  /** Names whose publish is between the name check and the stream's creation. */
  private readonly pendingNames = new Set<string>();
  private readonly providers: StreamProvider[] = [];
  /** Pulls under way, by the stream name they will publish: concurrent demands share one. */
  private readonly pulls = new Map<string, Promise<Stream>>();

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

  /**
   * Registers a stream provider, asked by `demand` in the order providers were added. Returns the
   * function that removes it (call it in the plugin's stop); pulls under way go on.
   */
  addProvider(provider: StreamProvider): () => void {
    this.providers.push(provider);
    return () => {
      const index = this.providers.indexOf(provider);
      if (index !== -1) this.providers.splice(index, 1);
    };
  }

  /**
   * The stream called `name`, for a player or a recorder that was asked for it by name: the published
   * stream of that name, or else the one the first provider accepting the name pulls (the RTSP ingest
   * for `rtsp://…`, which publishes it under the URI without credentials). Concurrent demands for the
   * same stream share one pull. Throws SPOOL_ERR_NOT_FOUND when nobody publishes the name and no
   * provider accepts it, SPOOL_ERR_STREAM_UNAVAILABLE with the provider's reason when the pull fails
   * or takes longer than `timeoutMs`, and passes on a provider's own SpoolError (e.g. 400 for a URI it
   * cannot use).
   */
  async demand(name: string, options: DemandOptions = {}): Promise<Stream> {
    const published = this.find(name);
    if (published !== undefined) return published;
    const provider = this.providers.find((p) => p.accepts(name));
    if (provider === undefined) {
      throw new SpoolError(
        'SPOOL_ERR_NOT_FOUND',
        `no stream named ${JSON.stringify(redactCredentials(name))} is published, and no plugin can pull it`,
      );
    }
    const streamName = provider.streamName?.(name) ?? name;
    const existing = this.find(streamName);
    if (existing !== undefined) return existing;
    let pull = this.pulls.get(streamName);
    if (pull === undefined) {
      pull = this.pull(provider, name, streamName, options.timeoutMs ?? DEFAULT_DEMAND_TIMEOUT_MS);
      this.pulls.set(streamName, pull);
      const forget = () => void this.pulls.delete(streamName);
      pull.then(forget, forget);
    }
    return pull;
  }

  private async pull(
    provider: StreamProvider,
    name: string,
    streamName: string,
    timeoutMs: number,
  ): Promise<Stream> {
    const shown = redactCredentials(streamName);
    this.log.info(
      { stream: shown, provider: provider.name },
      `stream "${shown}" demanded: ${provider.name} pulls it`,
    );
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${provider.name} did not answer within ${timeoutMs} ms`)),
        timeoutMs + DEMAND_GRACE_MS,
      );
    });
    try {
      return await Promise.race([provider.pull(name, { timeoutMs }), gaveUp]);
    } catch (error) {
      if (isSpoolError(error)) throw error;
      const reason = redactCredentials(errorMessage(error));
      this.log.warn(
        { stream: shown, provider: provider.name, reason },
        `stream "${shown}" could not be pulled: ${reason}`,
      );
      throw new SpoolError(
        'SPOOL_ERR_STREAM_UNAVAILABLE',
        `stream "${shown}" could not be pulled by ${provider.name}: ${reason}`,
      );
    } finally {
      clearTimeout(timer);
    }
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

  onViewersChanged(stream: Stream, protocol: string, delta: number): void {
    const labels = { protocol, stream: stream.name };
    // A series goes with the stream's last viewer of that protocol: /metrics keeps no name ever played.
    if (delta < 0 && stream.viewers[protocol] === undefined) this.metrics.viewers.remove(labels);
    else this.metrics.viewers.inc(labels, delta);
  }

  onKeyframeHandlerError(stream: Stream, error: unknown): void {
    this.hooks.reportPluginError({
      plugin: stream.source,
      where: `keyframe request of "${stream.name}"`,
      error,
    });
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
 * `scheme://user:password@host…` without `user:password@`, wherever it occurs in `text`: for names
 * and reasons that reach logs and replies.
 */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"]*@/gi, '$1');
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
