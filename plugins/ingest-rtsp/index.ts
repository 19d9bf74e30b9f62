import { definePlugin, type PluginContext } from '../../core/index.js';
import { RestRegistryToken } from '../rest-api/api.js';
import { RtspIngestToken } from './api.js';
import { ingestRtspSchema, type IngestRtspConfig } from './config.js';
import { rtspRoutes } from './rest-routes.js';
import { RtspIngestService } from './service.js';

const services = new WeakMap<PluginContext<IngestRtspConfig>, RtspIngestService>();
/** Removes the bus provider of rtsp:// names, in stop. */
const providers = new WeakMap<PluginContext<IngestRtspConfig>, () => void>();

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
  register(ctx) {
    const service = new RtspIngestService(ctx);
    services.set(ctx, service);
    ctx.provide(RtspIngestToken, service);
    ctx.tryUse(RestRegistryToken)?.addRoutes(rtspRoutes(service));
  },
  start(ctx) {
    const service = services.get(ctx)!;
    service.start();
    // bus.demand('rtsp://…') — a play or record request by name — pulls the camera.
    providers.set(ctx, ctx.bus.addProvider(service.provider()));
  },
  async stop(ctx) {
    providers.get(ctx)?.();
    providers.delete(ctx);
    await services.get(ctx)?.stop();
  },
});
