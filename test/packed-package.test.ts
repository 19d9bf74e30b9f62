/**
 * What `npm pack` really ships, checked on the tarball it writes: the built runtime and no test code.
 * Installed offline into a third-party plugin's package, it loads its plugins and the plugin compiles
 * against its types. The tarball is packed from the dist/ this run was built from.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './helpers/spool-process.js';
import { skipOrFail } from './helpers/system-tool.js';
import { compileAcmePlugin, writeAcmePlugin } from './helpers/third-party-plugin.js';
import { TempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const tmp = new TempDir('spool-packed-package-');
after(() => tmp.cleanup());

interface Packed {
  readonly filename: string;
  readonly integrity: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly [key: string]: unknown;
}

let packed: Packed;
let shipped: string[];
before(async () => {
  // --ignore-scripts: "prepare" would rebuild dist/ under the test files running beside this one.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp.path],
    {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  packed = (JSON.parse(stdout) as Packed[])[0]!;
  shipped = packed.files.map((file) => file.path);
});

/** Files under `dir` of the repository, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)));
}

test('the package holds no test code: nothing under test/, no *.test.* file', () => {
  const testFiles = shipped.filter(
    (path) => path.startsWith('test/') || path.startsWith('dist/test/') || basename(path).includes('.test.'),
  );
  assert.deepEqual(testFiles, []);
});

test('the package holds the build of every runtime source, the files the runtime reads, and nothing stale', () => {
  const sources = ['core', 'lib', 'plugins']
    .flatMap(filesUnder)
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
  const built = sources.flatMap((source) =>
    ['.js', '.d.ts'].map((ext) => `dist/${source.slice(0, -3)}${ext}`),
  );
  assert.deepEqual(
    built.filter((path) => !shipped.includes(path)),
    [],
    'built runtime files the package lacks',
  );
  // dist/plugins/manifest.json is written by the build from the plugins (scripts/plugin-manifest.mjs).
  const stale = shipped.filter(
    (path) =>
      path.startsWith('dist/') &&
      path !== 'dist/plugins/manifest.json' &&
      !sources.includes(path.slice(5).replace(/(\.d\.ts|\.js|\.js\.map)$/, '.ts')),
  );
  assert.deepEqual(
    stale,
    [],
    'dist/ files no runtime source builds (left by a moved file: delete dist/, rebuild)',
  );
  const read = [
    'bin/spool.js',
    'plugins.json',
    'config/default.json',
    'README.md',
    'dist/plugins/manifest.json',
  ];
  read.push(...filesUnder('plugins/web-examples/static'));
  assert.deepEqual(
    read.filter((path) => !shipped.includes(path)),
    [],
    'files the runtime reads that the package lacks',
  );
});

/**
 * The plugin's package-lock.json: spool-server from the tarball, and its dependencies as Spool's own
 * lock pins them (without the dev ones), so `npm ci --offline` takes them from npm's cache.
 */
function pluginLock(spec: string): unknown {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const { '': root, ...installed } = lock.packages;
  const packages: Record<string, unknown> = {
    '': { name: 'acme-spool-plugin', version: '1.0.0', dependencies: { 'spool-server': spec } },
    'node_modules/spool-server': {
      ...root,
      resolved: spec,
      integrity: packed.integrity,
      devDependencies: undefined,
    },
  };
  for (const [path, entry] of Object.entries(installed)) if (!entry.dev) packages[path] = entry;
  return { name: 'acme-spool-plugin', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

test('installed offline into a plugin package, it loads its plugins, and the plugin compiles against its types', async (t) => {
  const spec = `file:../${packed.filename}`;
  const pkg = writeAcmePlugin(tmp, 'acme-spool-plugin', spec);
  tmp.json('acme-spool-plugin/package-lock.json', pluginLock(spec));
  // --offline: no test reaches the network. npm install (which the tests need anyway) cached every
  // dependency; --ignore-scripts: the ffmpeg package's install script is not what is tested here.
  const installed = await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: pkg,
  }).catch((error: { stderr?: string; message: string }) => {
    const problem = error.stderr ?? error.message;
    if (!problem.includes('ENOTCACHED')) throw error;
    skipOrFail(t, {
      tool: "npm's cache of Spool's dependencies",
      problem:
        problem.split('\n').find((line) => line.includes('ENOTCACHED') || line.includes('request to')) ??
        problem,
      install: 'run npm install in the repository, which fills it',
      reason: 'install the packed package offline',
    });
    return undefined;
  });
  if (installed === undefined) return;
  const spoolServer = join(pkg, 'node_modules', 'spool-server');
  assert.ok(existsSync(join(spoolServer, 'dist', 'core', 'index.d.ts')), 'installed with its types');

  await compileAcmePlugin(pkg);

  // The package's own plugins.json plus acme: `spool config` loads every plugin for its settings.
  const builtIn = JSON.parse(readFileSync(join(spoolServer, 'plugins.json'), 'utf8')) as {
    plugins: unknown[];
  };
  tmp.json('acme-spool-plugin/plugins.json', {
    plugins: [...builtIn.plugins, { name: 'acme', enabled: true, module: './index.js' }],
  });
  const spool = join(spoolServer, 'bin', 'spool.js');
  const { stdout } = await run(
    process.execPath,
    [spool, 'config', '--plugins', 'plugins.json', '--set', 'acme.limit=3'],
    {
      cwd: pkg,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const config = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(config.acme, { limit: 3 });
  for (const name of ['ingest-rtmp', 'recorder', 'transcoder']) {
    assert.ok(config[name] !== undefined, `the built-in plugin ${name} loaded, with its settings`);
  }
});
