import assert from 'node:assert/strict';
import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Spool } from '../core/index.js';
import { LogCapture } from './helpers/log.js';
import { REPO_ROOT } from './helpers/spool-process.js';
import { compileAcmePlugin, writeAcmePlugin } from './helpers/third-party-plugin.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-plugin-package-');
after(() => tmp.cleanup());

test('a plugin in its own npm package compiles against the published types and runs', async () => {
  // spool-server linked into the plugin's node_modules, as `npm link` would; packed-package.test.ts
  // installs the packed tarball instead.
  const pkg = writeAcmePlugin(tmp, 'acme-spool-plugin');
  mkdirSync(join(pkg, 'node_modules'), { recursive: true });
  symlinkSync(REPO_ROOT, join(pkg, 'node_modules', 'spool-server'), 'dir');
  await compileAcmePlugin(pkg);

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
