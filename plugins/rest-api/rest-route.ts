import type { Static, TSchema } from '@sinclair/typebox';
import type { ErrorCode, ErrorCodes } from '../../core/index.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The error statuses a handler answers by throwing a SpoolError. The router documents its own
 * (400 and 413 with a body, 401 with auth, 405, 500), so a route cannot declare those.
 */
export type HandlerStatus = Exclude<(typeof ErrorCodes)[ErrorCode]['status'], 400 | 401 | 405 | 413 | 500>;

/**
 * One REST method under /rest-api. The router serves it and the OpenAPI document describes it,
 * both from this table. A method with a `body` gets its JSON body read and checked against the
 * schema (400 otherwise) before `handle` runs; `handle` answers 200 with its result, or with an
 * empty body for `undefined`; errors are SpoolErrors (404 …) or internal (500).
 */
export interface RestRoute {
  readonly method: 'get' | 'post';
  /** Path below /rest-api. */
  readonly path: string;
  readonly summary: string;
  readonly body?: JsonSchema;
  /** Schema of the 200 reply; none = an empty body. */
  readonly reply?: JsonSchema;
  /** The error statuses `handle` answers, each with when: { 404: 'no such stream', 409: … }. */
  readonly statuses?: Readonly<Partial<Record<HandlerStatus, string>>>;
  /** The reply is built from constant data: nothing but a bug can fail (no 500 documented). */
  readonly infallible?: true;
  handle(body: unknown): unknown;
}

type StaticOr<S, Otherwise> = S extends TSchema ? Static<S> : Otherwise;

/** A RestRoute whose body and reply are TypeBox schemas, and `handle` typed by them. */
export interface TypedRestRoute<B extends TSchema | undefined, R extends TSchema | undefined> extends Omit<
  RestRoute,
  'body' | 'reply' | 'handle'
> {
  readonly body?: B;
  readonly reply?: R;
  handle(body: StaticOr<B, undefined>): StaticOr<R, void> | Promise<StaticOr<R, void>>;
}

/** The route as the router takes it: the static types were for the handler's author. */
export function restRoute<
  B extends TSchema | undefined = undefined,
  R extends TSchema | undefined = undefined,
>(route: TypedRestRoute<B, R>): RestRoute {
  // The router calls handle only with a body that matched `body`, which is what Static<B> describes.
  return { ...route, handle: (body) => route.handle(body as StaticOr<B, undefined>) };
}
