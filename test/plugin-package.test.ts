import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { Spool } from '../core/index.js';
import { LogCapture } from './helpers/log.js';
import { REPO_ROOT } from './helpers/spool-process.js';
import { TempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const tmp = new TempDir('spool-plugin-package-');
after(() => tmp.cleanup());

test('a plugin in its own npm package compiles against the published types and runs', async () => {
  // The package "acme-spool-plugin" depends on spool-server (linked here as npm would install it).
  const pkg = join(tmp.path, 'acme-spool-plugin');
  mkdirSync(join(pkg, 'node_modules'), { recursive: true });
  symlinkSync(REPO_ROOT, join(pkg, 'node_modules', 'spool-server'), 'dir');
  tmp.json('acme-spool-plugin/package.json', { name: 'acme-spool-plugin', type: 'module', main: 'index.js' });
  tmp.file(
    'acme-spool-plugin/index.ts',
    `import {
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
`,
  );
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [
    tsc,
    '--strict',
    '--module',
    'nodenext',
    '--target',
    'es2022',
    '--skipLibCheck',
    '--experimentalDecorators',
    '--emitDecoratorMetadata',
    '--typeRoots',
    join(REPO_ROOT, 'node_modules', '@types'),
    '--types',
    'node',
    join(pkg, 'index.ts'),
  ]).catch((error: { stdout: string }) => assert.fail(`tsc failed:\n${error.stdout}`));

  const pluginsFile = tmp.json('plugins.json', {
    plugins: [{ name: 'acme', enabled: true, module: './acme-spool-plugin/index.js' }],
  });
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1'],
    env: {},
    logDestination: new LogCapture(),
  });
  await spool.start();
  try {
    const request = { login: '', source: 'test', record: false, query: {}, tracks: [] };
    await spool.bus.publish({ ...request, name: 'one' });
    await assert.rejects(spool.bus.publish({ ...request, name: 'two' }), /acme limit reached/);
  } finally {
    await spool.stop();
  }
});
