/**
 * The one module a plugin imports from the kernel. Everything exported here is public API;
 * anything else under core/ is internal and may change.
 */
import 'reflect-metadata';

export {
  definePlugin,
  PluginContextToken,
  type PluginClass,
  type PluginContext,
  type PluginDefinition,
  type SpoolPlugin,
} from './plugin.js';
export { injectable } from 'tsyringe';
export { Token, createToken, injectToken, injects } from './tokens.js';
export { BusToken, ConfigToken, HttpToken, LoggerToken, MetricsToken } from './kernel-tokens.js';
export type { HookName, HookSignatures, PluginHooks, TapFn } from './hooks.js';
export {
  HookCatalogue,
  type CatalogueTapFn,
  type HookKind,
  type HookKinds,
  type HookSignature,
  type HookTable,
  type HooksOf,
} from './hook-catalogue.js';
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
