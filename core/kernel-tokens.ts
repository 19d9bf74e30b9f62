import type { Logger } from 'pino';
import type { StreamBus } from './bus/bus.js';
import type { KernelConfig } from './config/schema.js';
import type { HttpServer } from './http.js';
import type { KernelMetrics } from './metrics.js';
import { createToken } from './tokens.js';

/**
 * Services the kernel registers in the root container; any plugin may use them. The kernel's hooks are
 * not among them: a plugin gets its own facade (`ctx.hooks`), whose taps carry its name.
 */
export const ConfigToken = createToken<KernelConfig>('kernel.config');
export const LoggerToken = createToken<Logger>('kernel.logger');
export const BusToken = createToken<StreamBus>('kernel.bus');
export const MetricsToken = createToken<KernelMetrics>('kernel.metrics');
export const HttpToken = createToken<HttpServer>('kernel.http');
