import type { Logger } from 'pino';
import type { StreamBus } from './bus/bus.js';
import type { KernelConfig } from './config/schema.js';
import type { Hooks } from './hooks.js';
import type { HttpServer } from './http.js';
import type { KernelMetrics } from './metrics.js';
import { createToken } from './tokens.js';

/** Services the kernel registers in the root container; any plugin may use them. */
export const ConfigToken = createToken<KernelConfig>('kernel.config');
export const LoggerToken = createToken<Logger>('kernel.logger');
export const HooksToken = createToken<Hooks>('kernel.hooks');
export const BusToken = createToken<StreamBus>('kernel.bus');
export const MetricsToken = createToken<KernelMetrics>('kernel.metrics');
export const HttpToken = createToken<HttpServer>('kernel.http');
