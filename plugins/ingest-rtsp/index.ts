import { definePlugin, type PluginContext } from '../../core/index.js';
import { RestRegistryToken } from '../rest-api/api.js';
import { RtspIngestToken } from './api.js';
import { ingestRtspSchema, type IngestRtspConfig } from './config.js';
import { rtspRoutes } from './rest-routes.js';
import { RtspIngestService } from './service.js';

const services = new WeakMap<PluginContext<IngestRtspConfig>, RtspIngestService>();

/**
 * Pulls IP cameras over RTSP (H.264; AAC or G.711) onto the stream bus, source 'rtsp': started by
 * REST (/rest-api/rtsp/startup) or on demand (RtspIngestToken.ensure), reconnected with backoff
 * when a camera drops. See docs/rtsp.md.
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
    services.get(ctx)!.start();
  },
  async stop(ctx) {
    await services.get(ctx)?.stop();
  },
});
