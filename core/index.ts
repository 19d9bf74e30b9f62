/**
 * The one module a plugin imports from the kernel. Everything exported here is public API;
 * anything else under core/ is internal and may change.
 */
import 'reflect-metadata';

export { definePlugin, type PluginContext, type PluginDefinition } from './plugin.js';
export { Token, createToken, injectToken } from './tokens.js';
export { BusToken, ConfigToken, HooksToken, HttpToken, LoggerToken, MetricsToken } from './kernel-tokens.js';
export type { HookName, HookSignatures, PluginHooks, TapFn } from './hooks.js';
export { Hooks, HOOK_NAMES } from './hooks.js';
export type * from './events.js';
export type * from './media.js';
export { StreamBus, validateStreamName } from './bus/bus.js';
export {
  DEFAULT_DEMAND_TIMEOUT_MS,
  redactCredentials,
  type DemandOptions,
  type StreamProvider,
} from './bus/bus.js';
export { Stream, type StreamInfo, type KeyframeRequestHandler } from './bus/stream.js';
export {
  Subscription,
  type BusEvent,
  type SubscribeOptions,
  type SubscriberRole,
  type SubscriptionStats,
} from './bus/subscription.js';
export type { ConfigSchema, KernelConfig, SettingSchema } from './config/schema.js';
export { ErrorCodes, SpoolError, errorMessage, isSpoolError, type ErrorCode } from './errors.js';
export type { KernelMetrics } from './metrics.js';
export type { HttpServer } from './http.js';
export type { Logger } from './log.js';
export { Spool, type SpoolOptions } from './kernel.js';
export { default as Router } from '@koa/router';
export { positiveInteger } from './config/schema.js';
