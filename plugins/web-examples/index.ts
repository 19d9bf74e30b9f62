import { resolve } from 'node:path';
import type { Context } from 'koa';
import {
  PluginContextToken,
  Router,
  SpoolError,
  definePlugin,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { serveFile } from '../../lib/http/serve-file.js';
import { contentTypeOf, resolveStatic, staticSegments } from './static-files.js';

export const EXAMPLES_PREFIX = '/client/examples';

/**
 * The static files, read from the source tree (no build step): this module runs from
 * dist/plugins/web-examples/, the files stay in the package root's plugins/web-examples/static/.
 */
export const STATIC_DIR = resolve(import.meta.dirname, '..', '..', '..', 'plugins', 'web-examples', 'static');

function notFound(): SpoolError {
  return new SpoolError('SPOOL_ERR_NOT_FOUND', 'no such example file');
}

async function serveExample(ctx: Context, rootDir: string): Promise<void> {
  const rest = ctx.path.slice(EXAMPLES_PREFIX.length);
  if (rest === '') return ctx.redirect(`${EXAMPLES_PREFIX}/`);
  const segments = staticSegments(rest.slice(1));
  if (segments === undefined) throw notFound();
  const target = await resolveStatic(rootDir, segments);
  if (target === undefined) throw notFound();
  // A directory without its slash: redirect, so the page's relative URLs resolve inside it.
  if (target.kind === 'directory') return ctx.redirect(`${ctx.path}/`);
  const type = contentTypeOf(target.path);
  if (type === undefined) throw notFound();
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (!(await serveFile(ctx, target.path, { type }))) throw notFound();
}

@injectable()
class WebExamplesPlugin implements SpoolPlugin {
  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext) {}

  register(): void {
    this.ctx.hooks.routes.tap(({ mount }) => {
      const router = new Router();
      router.get(`${EXAMPLES_PREFIX}{/*rest}`, (koa) => serveExample(koa, STATIC_DIR));
      mount(router);
    });
  }
}

/**
 * Example web pages served as plain files under /client/examples/ (an index, and the Stream
 * Recording page: publish the camera over WHIP with record on, then play or download the file),
 * through lib/http like the recordings: ETag / Last-Modified revalidation and byte ranges.
 */
export default definePlugin({
  name: 'web-examples',
  description: 'Serves the example web pages (Stream Recording) under /client/examples/',
  plugin: WebExamplesPlugin,
});
