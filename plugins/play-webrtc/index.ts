import {
  SpoolError,
  definePlugin,
  type PluginContext,
  PluginContextToken,
  injectToken,
  injectable,
  type SpoolPlugin,
} from '../../core/index.js';
import { iceConfigSchema } from '../../lib/webrtc/ice-config.js';
import { WebRtcAuthToken, WebRtcIceToken } from '../ingest-webrtc/api.js';
import { WebRtcPlaybackToken } from './api.js';
import {
  configProblem,
  overriddenKeys,
  playWebRtcSchema,
  schemaDefaults,
  type PlayWebRtcConfig,
} from './config.js';
import { WhepService } from './service.js';
import { whepRouter } from './whep-routes.js';

@injectable()
class PlayWebrtcPlugin implements SpoolPlugin {
  private service: WhepService | undefined;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<PlayWebRtcConfig>) {
    const problem = configProblem(ctx.config);
    if (problem !== undefined) throw new SpoolError('SPOOL_ERR_CONFIG_INVALID', problem);
  }

  register(): void {
    const { ctx } = this;
    const ice = this.shared(
      'ice',
      ctx.tryUse(WebRtcIceToken),
      ctx.config.ice,
      schemaDefaults(iceConfigSchema),
    );
    const auth = this.shared('auth', ctx.tryUse(WebRtcAuthToken), ctx.config.auth, {
      enabled: false,
      tokens: [],
    });
    const service = new WhepService(ctx, ice);
    this.service = service;
    ctx.provide(WebRtcPlaybackToken, {
      get sessions() {
        return service.sessions;
      },
      viewersOf: (id) => service.viewersOf(id),
      viewers: () => service.viewers(),
    });
    ctx.hooks.routes.tap(({ mount }) => mount(whepRouter(service, ctx.config, auth)));
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }

  /**
   * ingest-webrtc's settings when it is enabled (one address list, port range and token list for the
   * server), else this plugin's own section; a warning when the operator set the own section to
   * something else that then has no effect.
   */
  private shared<T extends object>(section: string, owner: T | undefined, own: T, defaults: T): T {
    if (owner === undefined) return own;
    const ignored = overriddenKeys(own, owner, defaults);
    if (ignored.length > 0) {
      this.ctx.log.warn(
        { keys: ignored.map((key) => `play-webrtc.${section}.${key}`) },
        `play-webrtc.${section} differs from ingest-webrtc.${section}, which applies while ingest-webrtc is enabled: ` +
          `play-webrtc.${section}.{${ignored.join(',')}} have no effect`,
      );
    }
    return owner;
  }
}

/**
 * Live playback over WHEP (draft-ietf-wish-whep) of any stream on the bus, or one a provider brings
 * on demand (an rtsp:// camera): H.264 (packetization mode 1) or VP8 video as published, Opus audio
 * as published or converted from AAC/G.711 by the transcoder, G.711 as PCMU/PCMA. ICE settings and
 * bearer tokens are ingest-webrtc's when it is enabled. WebRTC engine: werift 0.25.2.
 */
export default definePlugin<PlayWebRtcConfig>({
  name: 'play-webrtc',
  description: 'Plays streams of the bus to WebRTC viewers (WHEP)',
  optionalDependsOn: ['ingest-webrtc'],
  config: playWebRtcSchema,
  plugin: PlayWebrtcPlugin,
});
