import {
  SpoolError,
  definePlugin,
  type PluginContext,
  PluginContextToken,
  injectToken,
  injectable,
  type SpoolPlugin,
} from '../../core/index.js';
import { RecorderServiceToken } from '../recorder/api.js';
import { WebRtcAuthToken, WebRtcIceToken, WebRtcIngestToken } from './api.js';
import { configProblem, ingestWebRtcSchema, type IngestWebRtcConfig } from './config.js';
import { WhipService } from './service.js';
import { whipRouter } from './whip-routes.js';

@injectable()
class IngestWebrtcPlugin implements SpoolPlugin {
  private readonly service: WhipService;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<IngestWebRtcConfig>) {
    const problem = configProblem(ctx.config);
    if (problem !== undefined) throw new SpoolError('SPOOL_ERR_CONFIG_INVALID', problem);
    this.service = new WhipService(ctx);
  }

  register(): void {
    const { ctx, service } = this;
    const { ice } = ctx.config;
    ctx.provide(WebRtcIceToken, Object.freeze({ ...ice, addresses: Object.freeze([...ice.addresses]) }));
    const { auth } = ctx.config;
    ctx.provide(
      WebRtcAuthToken,
      Object.freeze({ enabled: auth.enabled, tokens: Object.freeze([...auth.tokens]) }),
    );
    ctx.provide(WebRtcIngestToken, {
      get publishers() {
        return service.publishers;
      },
    });
    const recorder = ctx.tryUse(RecorderServiceToken);
    const filesOf = recorder && ((id: string) => recorder.filesOf(id));
    ctx.hooks.routes.tap(({ mount }) => mount(whipRouter(service, ctx.config, { bus: ctx.bus, filesOf })));
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

/**
 * WebRTC publish over WHIP (RFC 9725) → the stream bus, source 'webrtc'. H.264 (packetization
 * mode 1) or VP8 video and Opus audio; `?record=true` is the publisher's record flag, the login
 * comes from the bearer token (auth on) or `?login=`. With the recorder, the WHIP DELETE answers
 * with the session's finished recordings. WebRTC engine: werift 0.25.2.
 */
export default definePlugin<IngestWebRtcConfig>({
  name: 'ingest-webrtc',
  description: 'Takes WebRTC publishes (WHIP: H.264/VP8 + Opus) onto the stream bus',
  optionalDependsOn: ['recorder'],
  config: ingestWebRtcSchema,
  propertiesWithoutEffect: { webrtc_pre_init: 'Spool initializes WebRTC when its plugin starts' },
  plugin: IngestWebrtcPlugin,
});
