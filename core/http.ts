import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { SpoolError, errorMessage } from './errors.js';
import type { KernelMetrics } from './metrics.js';

export interface HealthReport {
  readonly ok: boolean;
  readonly status: string;
  readonly plugins: ReadonlyArray<{ name: string; state: string }>;
}

/**
 * The one koa app. Plugins mount routers through the `routes` hook; the kernel serves /health and
 * /metrics. Errors become JSON bodies `{ error, code }`, never stack traces.
 */
export class HttpServer {
  readonly app = new Koa();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly log: Logger,
    metrics: KernelMetrics,
    health: () => HealthReport,
  ) {
    this.app.proxy = false;
    this.app.silent = true;
    this.app.use(async (ctx, next) => {
      try {
        await next();
        if (ctx.status === 404 && ctx.body === undefined) {
          ctx.status = 404;
          ctx.body = { error: `no route for ${ctx.method} ${ctx.path}`, code: 'SPOOL_ERR_NOT_FOUND' };
        }
      } catch (error) {
        const status = httpStatusOf(error);
        // A SpoolError raised on purpose with a 5xx other than 500 (502: a camera could not be
        // pulled) tells the client why; anything else at 500 and above is an internal error.
        const hidden = status >= 500 && !(error instanceof SpoolError && status !== 500);
        ctx.status = status;
        ctx.body = {
          error: hidden ? 'internal error' : errorMessage(error),
          code:
            error instanceof SpoolError
              ? error.code
              : status >= 500
                ? 'SPOOL_ERR_INTERNAL'
                : 'SPOOL_ERR_BAD_REQUEST',
        };
        if (hidden) this.log.error({ err: error, path: ctx.path, method: ctx.method }, 'HTTP request failed');
      }
    });
    const router = new Router();
    router.get('/health', (ctx) => {
      const report = health();
      ctx.status = report.ok ? 200 : 503;
      ctx.body = report;
    });
    router.get('/metrics', async (ctx) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    });
    this.mount(router);
  }

  mount(router: Router): void {
    this.app.use(router.routes());
    this.app.use(router.allowedMethods());
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer(this.app.callback());
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new SpoolError(
            'SPOOL_ERR_HTTP_LISTEN',
            error.code === 'EADDRINUSE'
              ? `HTTP port ${host}:${port} is already in use (set http.port)`
              : `HTTP server cannot listen on ${host}:${port}: ${error.message}`,
            { cause: error },
          ),
        );
      });
      server.listen(port, host, () => resolve());
    });
    server.on('error', (error) => this.log.error({ err: error }, 'HTTP server error'));
    this.server = server;
    return this.port;
  }

  /** Stops accepting connections; idle keep-alive sockets close now, busy ones after their reply. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const forced = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, 5000);
    await closed;
    clearTimeout(forced);
  }
}

function httpStatusOf(error: unknown): number {
  if (error instanceof SpoolError) return error.status;
  const status = (error as { status?: unknown; expose?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 600) return status;
  return 500;
}
