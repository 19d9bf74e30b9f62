import {
  PluginContextToken,
  definePlugin,
  errorMessage,
  injectToken,
  injectable,
  type Frame,
  type PluginContext,
  type SpoolPlugin,
  type Stream,
} from '../../core/index.js';
import { flvCarries } from '../../lib/flv/index.js';
import {
  RtmpPlayToken,
  type RtmpPlayConnection,
  type RtmpPlayRequest,
  type RtmpPlayService,
} from '../ingest-rtmp/api.js';
import { RtmpViewersToken } from './api.js';
import { PLAY_RTMP_CONFIG, type PlayRtmpConfig } from './config.js';
import { GopCache } from './gop-cache.js';
import { planPlay, shownName, type PlayPlan } from './play-plan.js';
import { RtmpPlayer } from './player.js';
import { ViewerCounts } from './viewers.js';

/** How long stop waits for players to say goodbye before ingest-rtmp closes their sockets. */
const STOP_WAIT_MS = 2000;

@injectable()
class PlayRtmpPlugin implements SpoolPlugin {
  private readonly viewers: ViewerCounts;
  private readonly players = new Map<RtmpPlayer, Promise<void>>();
  private readonly gopCaches = new Map<string, GopCache>();
  /** Tag bodies by frame, shared by all players (see RtmpPlayer). */
  private readonly tags = new WeakMap<Frame, Buffer>();
  private removeHandler: (() => void) | undefined;
  private stopping = false;

  constructor(
    @injectToken(PluginContextToken) private readonly ctx: PluginContext<PlayRtmpConfig>,
    @injectToken(RtmpPlayToken) private readonly rtmpPlay: RtmpPlayService,
  ) {
    this.viewers = new ViewerCounts();
  }

  register(): void {
    this.ctx.provide(RtmpViewersToken, this.viewers);
    // In `published`, before the publisher's first frame, so a cached GOP misses nothing.
    this.ctx.hooks.published.tap(({ stream }) => this.cacheGop(stream));
  }

  start(): void {
    this.removeHandler = this.rtmpPlay.setPlayHandler((request, connection) =>
      this.play(request, connection).catch((error: unknown) => {
        this.ctx.reportError('play', error);
        connection.refuse('NetStream.Play.Failed', `NetStream.Play.Failed: internal error`);
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.removeHandler?.();
    for (const player of this.players.keys()) player.stop('server stopped');
    for (const cache of this.gopCaches.values()) cache.close();
    this.gopCaches.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.players.values()),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  private cacheGop(stream: Stream): void {
    const video = stream.tracks.find((track) => track.kind === 'video');
    if (this.stopping || video === undefined || !flvCarries(video)) return;
    if (!this.ctx.config.gopCacheSources.includes(stream.source)) return;
    const cache = new GopCache(stream, {
      maxBytes: this.ctx.config.gopCacheMaxBytes,
      name: this.ctx.name,
      log: this.ctx.log,
    });
    this.gopCaches.set(stream.mediaSessionId, cache);
    void cache.done.finally(() => {
      if (this.gopCaches.get(stream.mediaSessionId) === cache) this.gopCaches.delete(stream.mediaSessionId);
    });
  }

  private async play(request: RtmpPlayRequest, connection: RtmpPlayConnection): Promise<void> {
    const from = `${request.remoteAddress}:${request.remotePort}`;
    const plan = await planPlay(this.ctx.bus, request.name, {
      timeoutMs: this.ctx.config.demandTimeoutMs,
      log: this.ctx.log,
    });
    if (!('stream' in plan)) {
      this.ctx.log.info(
        { stream: shownName(request.name), remote: from },
        `RTMP play refused: ${plan.description}`,
      );
      connection.refuse(plan.code, plan.description);
      return;
    }
    if (connection.closed) return; // the player left while the stream was looked up
    if (this.stopping || plan.stream.ended) {
      connection.refuse(
        'NetStream.Play.StreamNotFound',
        `NetStream.Play.StreamNotFound: "${plan.stream.name}" ended`,
      );
      return;
    }
    this.startPlayer(plan, connection, from);
  }

  private startPlayer(plan: PlayPlan, connection: RtmpPlayConnection, from: string): void {
    const { stream } = plan;
    const gop = this.gopCaches.get(stream.mediaSessionId)?.snapshot();
    let player: RtmpPlayer;
    try {
      player = new RtmpPlayer(plan, connection, gop, {
        name: this.ctx.name,
        log: this.ctx.log,
        bufferBytes: this.ctx.config.playerBufferBytes,
        stallTimeoutMs: this.ctx.config.stallTimeoutMs,
        tags: this.tags,
      });
    } catch (error) {
      connection.refuse(
        'NetStream.Play.StreamNotFound',
        `NetStream.Play.StreamNotFound: ${errorMessage(error)}`,
      );
      return;
    }
    const countOut = this.viewers.add(stream);
    const log = { stream: stream.name, mediaSessionId: stream.mediaSessionId, remote: from };
    const startedMs = Date.now();
    const audio =
      plan.audio === undefined
        ? 'no audio'
        : plan.audio.stream === stream
          ? 'AAC'
          : `AAC from "${plan.audio.stream.name}"`;
    this.ctx.log.info(
      log,
      `RTMP play of "${stream.name}" by ${from} (${plan.video === undefined ? 'no video' : 'H.264'}, ${audio}, ${gop === undefined ? 'waits for a keyframe' : `starts with the cached GOP of ${gop.length} frames`})`,
    );
    const done = player
      .run()
      .then((reason) => {
        const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
        const { framesSent, bytesSent } = player.stats;
        this.ctx.log.info(
          { ...log, framesSent, bytesSent, framesDropped: player.framesDropped },
          `RTMP player ${from} of "${stream.name}" stopped after ${seconds} s: ${reason}`,
        );
      })
      .catch((error: unknown) => {
        player.stop('internal error');
        this.ctx.reportError('player', error);
      })
      .finally(() => {
        countOut();
        this.players.delete(player);
      });
    this.players.set(player, done);
  }
}

/**
 * RTMP play of any stream on the bus at `rtmp://HOST:PORT/live/NAME`, on ingest-rtmp's listener
 * (see docs/playback.md, "RTMP play"): H.264 and AAC as published; other audio through the
 * transcoder's `converted:aac:NAME` when it is there, else video only; VP8 is refused.
 */
export default definePlugin<PlayRtmpConfig>({
  name: 'play-rtmp',
  description: 'Plays streams of the bus to RTMP players on the RTMP ingest port',
  dependsOn: ['ingest-rtmp'],
  config: PLAY_RTMP_CONFIG,
  plugin: PlayRtmpPlugin,
});
