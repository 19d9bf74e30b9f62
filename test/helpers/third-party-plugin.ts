/**
 * A third-party plugin in an npm package of its own ("acme-spool-plugin", depending on spool-server), as
 * its author would write and build it: what the plugin tests compile against Spool's published types.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './spool-process.js';
import type { TempDir } from './tmp.js';

const run = promisify(execFile);

/** Refuses a second published stream once `limit` streams have been published. */
const SOURCE = `import {
  PluginContextToken,
  definePlugin,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
  type StreamInfo,
} from 'spool-server';

@injectable()
class AcmePlugin implements SpoolPlugin {
  private readonly seen: StreamInfo[] = [];

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<{ limit: number }>) {}

  register(): void {
    this.ctx.hooks.publish.tap(() =>
      this.seen.length >= this.ctx.config.limit ? { reason: 'acme limit reached', status: 429 } : undefined,
    );
    this.ctx.hooks.published.tap(({ stream }) => {
      this.seen.push(stream.info());
    });
  }
}

export default definePlugin<{ limit: number }>({
  name: 'acme',
  config: { limit: { doc: 'streams allowed', format: 'nat', default: 1 } },
  plugin: AcmePlugin,
});
`;

/**
 * Writes the plugin's package.json and index.ts into `folder` of `tmp` (spool-server as `dependency`, an
 * npm spec); returns the package's path. Its node_modules/spool-server is the caller's to provide.
 */
export function writeAcmePlugin(tmp: TempDir, folder: string, dependency = '0.1.0'): string {
  tmp.json(`${folder}/package.json`, {
    name: 'acme-spool-plugin',
    version: '1.0.0',
    type: 'module',
    main: 'index.js',
    dependencies: { 'spool-server': dependency },
  });
  tmp.file(`${folder}/index.ts`, SOURCE);
  return join(tmp.path, folder);
}

/**
 * Compiles the plugin's index.ts to index.js (strict, nodenext) with the repository's tsc and @types/node,
 * the author's devDependencies; spool-server's types come from the package's own node_modules.
 */
export async function compileAcmePlugin(pkg: string): Promise<void> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [
    tsc,
    ...['--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck'],
    // A plugin class injects its dependencies with tsyringe's decorators (docs/plugins.md).
    ...['--experimentalDecorators', '--emitDecoratorMetadata'],
    ...['--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), '--types', 'node'],
    join(pkg, 'index.ts'),
  ]).catch((error: { stdout: string }) => assert.fail(`tsc failed:\n${error.stdout}`));
}
