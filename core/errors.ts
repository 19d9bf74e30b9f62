/**
 * Every error Spool raises on purpose has a stable code from this one table, so operators can grep
 * logs and clients can branch on `code` instead of parsing messages.
 */
export const ErrorCodes = {
  SPOOL_ERR_CONFIG_UNKNOWN_KEY: { status: 500, summary: 'Unknown configuration key' },
  SPOOL_ERR_CONFIG_INVALID: { status: 500, summary: 'Invalid configuration value' },
  SPOOL_ERR_CONFIG_FILE: { status: 500, summary: 'Configuration file cannot be read or parsed' },
  SPOOL_ERR_PLUGINS_FILE: { status: 500, summary: 'plugins.json cannot be read or is invalid' },
  SPOOL_ERR_PLUGIN_NOT_FOUND: { status: 500, summary: 'Plugin module cannot be loaded' },
  SPOOL_ERR_PLUGIN_INVALID: { status: 500, summary: 'Plugin module does not export a valid plugin' },
  SPOOL_ERR_PLUGIN_DUPLICATE: { status: 500, summary: 'Plugin listed twice' },
  SPOOL_ERR_PLUGIN_MISSING_DEPENDENCY: { status: 500, summary: 'Plugin dependency is missing' },
  SPOOL_ERR_PLUGIN_DISABLED_DEPENDENCY: { status: 500, summary: 'Plugin dependency is disabled' },
  SPOOL_ERR_PLUGIN_DEPENDENCY_CYCLE: { status: 500, summary: 'Plugin dependency cycle' },
  SPOOL_ERR_PLUGIN_UNDECLARED_DEPENDENCY: {
    status: 500,
    summary: 'Plugin used a service of a plugin it does not depend on',
  },
  SPOOL_ERR_PLUGIN_REGISTER: { status: 500, summary: 'Plugin failed to register' },
  SPOOL_ERR_PLUGIN_START: { status: 500, summary: 'Plugin failed to start' },
  SPOOL_ERR_PLUGIN_START_TIMEOUT: { status: 500, summary: 'Plugin did not start in time' },
  SPOOL_ERR_SERVICE_NOT_FOUND: { status: 500, summary: 'No service registered for token' },
  SPOOL_ERR_HTTP_LISTEN: { status: 500, summary: 'HTTP server cannot listen' },
  SPOOL_ERR_STREAM_NAME_IN_USE: { status: 409, summary: 'Stream name already published' },
  SPOOL_ERR_STREAM_NAME_INVALID: { status: 400, summary: 'Stream name is not acceptable' },
  SPOOL_ERR_STREAM_ENDED: { status: 410, summary: 'Stream has ended' },
  SPOOL_ERR_STREAM_NOT_FOUND: {
    status: 404,
    summary: 'No stream of that name is published, and no plugin can pull it',
  },
  SPOOL_ERR_STREAM_UNAVAILABLE: {
    status: 502,
    summary: 'Stream could not be pulled from its source (camera unreachable, refused, too slow)',
  },
  SPOOL_ERR_PUBLISH_REFUSED: { status: 403, summary: 'Publish refused' },
  SPOOL_ERR_UNKNOWN_TRACK: { status: 400, summary: 'Frame for a track the stream does not have' },
  SPOOL_ERR_BAD_REQUEST: { status: 400, summary: 'Bad request' },
  SPOOL_ERR_UNAUTHORIZED: { status: 401, summary: 'Missing or invalid credentials' },
  SPOOL_ERR_NOT_FOUND: { status: 404, summary: 'Not found' },
  SPOOL_ERR_METHOD_NOT_ALLOWED: { status: 405, summary: 'HTTP method not allowed for this path' },
  SPOOL_ERR_PAYLOAD_TOO_LARGE: { status: 413, summary: 'Request body too large' },
  SPOOL_ERR_INTERNAL: { status: 500, summary: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class SpoolError extends Error {
  readonly code: ErrorCode;
  /** HTTP status a route should answer with when this error escapes it. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpoolError';
    this.code = code;
    this.status = options?.status ?? ErrorCodes[code].status;
  }
}

export function isSpoolError(error: unknown, code?: ErrorCode): error is SpoolError {
  return error instanceof SpoolError && (code === undefined || error.code === code);
}

/** A readable one-line reason for anything thrown, for logs and error bodies. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
