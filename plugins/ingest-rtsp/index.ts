import {
  definePlugin,
  type PluginContext,
  PluginContextToken,
  injectToken,
  injectable,
  type SpoolPlugin,
} from '../../core/index.js';
import { RestRegistryToken } from '../rest-api/api.js';
import { RtspIngestToken } from './api.js';
import { ingestRtspSchema, type IngestRtspConfig } from './config.js';
import { rtspRoutes } from './rest-routes.js';
import { RtspIngestService } from './service.js';

@injectable()
class IngestRtspPlugin implements SpoolPlugin {
  private readonly service: RtspIngestService;
  /** Removes the bus provider of rtsp:// names, in stop. */
  private removeProvider: (() => void) | undefined;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<IngestRtspConfig>) {
    this.service = new RtspIngestService(ctx);
  }

  register(): void {
    this.ctx.provide(RtspIngestToken, this.service);
    this.ctx.tryUse(RestRegistryToken)?.addRoutes(rtspRoutes(this.service));
  }

  start(): void {
    this.service.start();
    // bus.demand('rtsp://…') — a play or record request by name — pulls the camera.
    this.removeProvider = this.ctx.bus.addProvider(this.service.provider());
  }

  async stop(): Promise<void> {
    this.removeProvider?.();
    this.removeProvider = undefined;
    await this.service.stop();
  }
}

/**
 * Pulls IP cameras over RTSP (H.264; AAC or G.711) onto the stream bus, source 'rtsp': started by
 * REST (/rest-api/rtsp/startup) or on demand (bus.demand of a name rtsp://…, which calls
 * RtspIngestToken.ensure), reconnected with backoff when a camera drops. See docs/rtsp.md.
 */
export default definePlugin<IngestRtspConfig>({
  name: 'ingest-rtsp',
  description: 'Pulls RTSP cameras (H.264 + AAC/G.711) onto the stream bus',
  optionalDependsOn: ['rest-api'],
  config: ingestRtspSchema,
  plugin: IngestRtspPlugin,
});
