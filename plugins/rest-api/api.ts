import { createToken } from '../../core/index.js';
import type { RestRoute } from './rest-route.js';

export type { HandlerStatus, RestRoute, TypedRestRoute } from './rest-route.js';
export { restRoute } from './rest-route.js';
export type { JsonSchema } from './json-schema.js';

/**
 * Other plugins add REST methods under /rest-api here, in their register() (list 'rest-api' in
 * dependsOn, or in optionalDependsOn and use ctx.tryUse): they get the same body checks, auth,
 * JSON errors and OpenAPI description as the built-in ones.
 */
export interface RestRegistry {
  addRoutes(routes: readonly RestRoute[]): void;
}

export const RestRegistryToken = createToken<RestRegistry>('rest-api.routes');
