import {
  definePlugin,
  positiveInteger,
  type PluginContext,
  PluginContextToken,
  injectToken,
  injectable,
  type SpoolPlugin,
} from '../../core/index.js';
import { RtmpIngestToken, RtmpPlayToken } from './api.js';
import { RtmpIngestService, type IngestRtmpConfig } from './ingest.js';

@injectable()
class IngestRtmpPlugin implements SpoolPlugin {
  private readonly service: RtmpIngestService;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<IngestRtmpConfig>) {
    this.service = new RtmpIngestService(ctx);
  }

  register(): void {
    const { service } = this;
    this.ctx.provide(RtmpIngestToken, {
      get port() {
        return service.port;
      },
      get host() {
        return service.host;
      },
      get app() {
        return service.app;
      },
      get publishers() {
        return service.publishers;
      },
    });
    this.ctx.provide(RtmpPlayToken, { setPlayHandler: (handler) => service.setPlayHandler(handler) });
  }

  start(): Promise<void> {
    return this.service.start();
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

/**
 * RTMP publish (ffmpeg, OBS, encoders) → the stream bus, source 'rtmp'. H.264 and AAC; the stream
 * name is the RTMP stream name; `?login=…&record=true` in the publish URL set login and record.
 * The protocol engine is node-media-server 4.4.3, patched (see nms.ts). RTMP play on the same port
 * goes to the handler another plugin sets through RtmpPlayToken (play-rtmp); without one it is refused.
 */
export default definePlugin<IngestRtmpConfig>({
  name: 'ingest-rtmp',
  description: 'Takes RTMP publishes (H.264 + AAC) onto the stream bus',
  config: {
    port: { doc: 'RTMP port; 0 = any free port', format: 'port', default: 1935, property: 'rtmp.port' },
    host: { doc: 'Address the RTMP server binds to', format: String, default: '0.0.0.0' },
    app: {
      doc: 'RTMP application publishers use (rtmp://HOST:PORT/APP/STREAM); empty = any',
      format: String,
      default: 'live',
    },
    idleTimeoutMs: {
      doc: 'An RTMP connection that sends nothing for this long is closed; 0 = never',
      format: 'nat',
      default: 10000,
    },
    trackWaitMs: {
      doc: 'Once media flows, how long to wait for the other kind (audio or video) before publishing without it',
      format: positiveInteger,
      default: 1000,
    },
    maxPendingPackets: {
      doc: 'Packets held per publisher while its publish is decided; beyond this the oldest are dropped',
      format: positiveInteger,
      default: 2000,
    },
  },
  plugin: IngestRtmpPlugin,
});
