import {
  SpoolError,
  definePlugin,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { RecorderServiceToken } from '../recorder/api.js';
import { restApiSchema, type RestApiConfig } from './config.js';
import { withOpenApiRoute } from './openapi.js';
import { restRouter } from './router.js';
import { RestRegistryToken } from './api.js';
import type { RestRoute } from './rest-route.js';
import { restRoutes } from './routes.js';

@injectable()
class RestApiPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<RestApiConfig>) {}

  register(): void {
    const ctx = this.ctx;
    const { auth, maxBodyBytes } = ctx.config;
    if (auth.enabled && auth.tokens.length === 0) {
      throw new SpoolError(
        'SPOOL_ERR_CONFIG_INVALID',
        'rest-api.auth.enabled is true but rest-api.auth.tokens is empty: no client could call the REST API',
      );
    }
    const options = { authEnabled: auth.enabled, maxBodyBytes };
    const added: RestRoute[] = [];
    ctx.provide(RestRegistryToken, { addRoutes: (routes) => void added.push(...routes) });
    // Built when routes are mounted: every plugin has registered its methods by then.
    ctx.hooks.routes.tap(({ mount }) => {
      const routes = withOpenApiRoute(
        [
          ...restRoutes({
            bus: ctx.bus,
            recorder: ctx.use(RecorderServiceToken),
            demandTimeoutMs: ctx.config.demandTimeoutMs,
          }),
          ...added,
        ],
        options,
      );
      mount(restRouter(routes, { ...options, tokens: auth.tokens }));
    });
  }
}

/**
 * The reference's REST API under /rest-api: stream look-up and recording on demand
 * (POST with JSON bodies), optional bearer-token auth, and its OpenAPI document.
 */
export default definePlugin<RestApiConfig>({
  name: 'rest-api',
  description: 'REST API: streams and recording on demand under /rest-api',
  dependsOn: ['recorder'],
  config: restApiSchema,
  plugin: RestApiPlugin,
});
