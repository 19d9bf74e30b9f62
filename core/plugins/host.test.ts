import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LogCapture } from '../../test/helpers/log.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { Spool } from '../kernel.js';
import { isSpoolError, type ErrorCode } from '../errors.js';
import { orderPlugins } from './order.js';

const coreIndex = pathToFileURL(join(import.meta.dirname, '..', 'index.js')).href;
const tmp = new TempDir('spool-host-');
after(() => tmp.cleanup());

type Events = string[];
const events = (): Events => ((globalThis as { __spoolEvents?: Events }).__spoolEvents ??= []);

interface FixtureOptions {
  dependsOn?: string[];
  optionalDependsOn?: string[];
  start?: 'ok' | 'hang' | 'throw';
  stop?: 'ok' | 'hang';
  config?: string;
  register?: string;
  startBody?: string;
}

/** Source of a plugin module that records its lifecycle in globalThis.__spoolEvents. */
function pluginSource(name: string, options: FixtureOptions = {}): string {
  const start =
    options.start === 'hang'
      ? 'await new Promise(() => {});'
      : options.start === 'throw'
        ? "throw new Error('camera on fire');"
        : '';
  const stop = options.stop === 'hang' ? 'await new Promise(() => {});' : '';
  return `import { createToken, injects, PluginContextToken } from '${coreIndex}';
const events = (globalThis.__spoolEvents ??= []);
void createToken;
class Plugin {
  constructor(ctx) { this.ctx = ctx; }
  register() { const ctx = this.ctx; events.push('register:${name}'); ${options.register ?? ''} }
  async start() { const ctx = this.ctx; events.push('start:${name}'); ${options.startBody ?? ''} ${start} }
  async stop() { events.push('stop:${name}'); ${stop} }
}
injects(Plugin, [PluginContextToken]);
export default {
  name: ${JSON.stringify(name)},
  dependsOn: ${JSON.stringify(options.dependsOn ?? [])},
  optionalDependsOn: ${JSON.stringify(options.optionalDependsOn ?? [])},
  ${options.config === undefined ? '' : `config: ${options.config},`}
  plugin: Plugin,
};
`;
}

let caseNo = 0;
/** Writes plugin modules and a plugins.json into a fresh folder; returns Spool options. */
function setup(
  entries: Array<{
    name: string;
    enabled?: boolean;
    startTimeoutMs?: number;
    source?: string;
    builtin?: boolean;
  }>,
) {
  const dir = join(tmp.path, `case-${++caseNo}`);
  const plugins = entries.map((entry) => {
    const { name, enabled = true, startTimeoutMs, source = pluginSource(name), builtin = false } = entry;
    if (builtin) tmp.file(join(dir, 'builtin', name, 'index.js').slice(tmp.path.length + 1), source);
    else tmp.file(join(dir, `${name}.mjs`).slice(tmp.path.length + 1), source);
    return {
      name,
      enabled,
      ...(builtin ? {} : { module: `./${name}.mjs` }),
      ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
    };
  });
  const pluginsFile = tmp.json(join(dir, 'plugins.json').slice(tmp.path.length + 1), { plugins });
  events().length = 0;
  return {
    pluginsFile,
    builtinPluginsDir: join(dir, 'builtin'),
    sets: ['http.port=0', 'http.host=127.0.0.1'],
    env: {},
    logDestination: new LogCapture(),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, ...mentions: string[]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSpoolError(error), `expected a SpoolError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const mention of mentions) assert.match(error.message, new RegExp(mention));
    return true;
  });
}

describe('plugin host', () => {
  test('registers and starts in dependency order, stops in reverse', async () => {
    const options = setup([
      { name: 'c', source: pluginSource('c', { dependsOn: ['b'] }) },
      { name: 'b', source: pluginSource('b', { dependsOn: ['a'] }), builtin: true },
      { name: 'a', builtin: true },
      { name: 'd' },
    ]);
    const spool = await Spool.create(options);
    await spool.start();
    await spool.stop();
    assert.deepEqual(events(), [
      'register:a',
      'register:b',
      'register:c',
      'register:d',
      'start:a',
      'start:b',
      'start:c',
      'start:d',
      'stop:d',
      'stop:c',
      'stop:b',
      'stop:a',
    ]);
  });

  test('ready runs after every start with the HTTP port; shutdown runs before every stop, with the signal', async () => {
    const options = setup([
      {
        name: 'watcher',
        source: pluginSource('watcher', {
          register:
            "ctx.hooks.ready.tap(({ httpPort }) => { events.push('ready:' + (httpPort > 0)); });" +
            "ctx.hooks.shutdown.tap(({ signal }) => { events.push('shutdown:' + signal); });",
        }),
      },
      { name: 'other' },
    ]);
    const spool = await Spool.create(options);
    await spool.start();
    await spool.stop('SIGTERM');
    assert.deepEqual(events(), [
      'register:watcher',
      'register:other',
      'start:watcher',
      'start:other',
      'ready:true',
      'shutdown:SIGTERM',
      'stop:other',
      'stop:watcher',
    ]);
  });

  test('a missing dependency is named', async () => {
    const options = setup([{ name: 'rec', source: pluginSource('rec', { dependsOn: ['ingest'] }) }]);
    await rejectsWith(Spool.create(options), 'SPOOL_ERR_PLUGIN_MISSING_DEPENDENCY', '"rec"', '"ingest"');
  });

  test('a disabled dependency is named', async () => {
    const options = setup([
      { name: 'ingest', enabled: false },
      { name: 'rec', source: pluginSource('rec', { dependsOn: ['ingest'] }) },
    ]);
    await rejectsWith(Spool.create(options), 'SPOOL_ERR_PLUGIN_DISABLED_DEPENDENCY', '"rec"', 'disabled');
  });

  test('a dependency cycle is named with its path', async () => {
    const options = setup([
      { name: 'x', source: pluginSource('x', { dependsOn: ['y'] }) },
      { name: 'y', source: pluginSource('y', { dependsOn: ['z'] }) },
      { name: 'z', source: pluginSource('z', { dependsOn: ['x'] }) },
    ]);
    await rejectsWith(Spool.create(options), 'SPOOL_ERR_PLUGIN_DEPENDENCY_CYCLE', 'x -> y -> z -> x');
  });

  test('a start that hangs fails start-up with a timeout naming the plugin; started plugins stop', async () => {
    const options = setup([
      { name: 'first' },
      { name: 'sleepy', source: pluginSource('sleepy', { start: 'hang' }), startTimeoutMs: 150 },
      { name: 'never' },
    ]);
    const spool = await Spool.create(options);
    await rejectsWith(spool.start(), 'SPOOL_ERR_PLUGIN_START_TIMEOUT', '"sleepy"', '150 ms');
    assert.ok(events().includes('stop:first'), 'the plugin started before was stopped');
    assert.ok(!events().includes('start:never'), 'later plugins were not started');
    assert.equal(spool.health().ok, false);
  });

  test('a start that throws names the plugin and the reason', async () => {
    const options = setup([{ name: 'cam', source: pluginSource('cam', { start: 'throw' }) }]);
    const spool = await Spool.create(options);
    await rejectsWith(spool.start(), 'SPOOL_ERR_PLUGIN_START', '"cam"', 'camera on fire');
  });

  test('a disabled plugin is neither loaded nor validated', async () => {
    const options = setup([
      { name: 'ok' },
      { name: 'broken', enabled: false, source: "throw new Error('module was loaded');" },
    ]);
    const configFile = tmp.json(`case-${caseNo}/config.json`, { broken: { nonsense: 'x' } });
    const spool = await Spool.create({
      ...options,
      configFiles: [configFile],
      env: { SPOOL_BROKEN__X: '1' },
    });
    assert.deepEqual(
      spool.plugins.map((p) => p.definition.name),
      ['ok'],
    );
  });

  test('invalid plugin config stops start-up naming the key and its source', async () => {
    const options = setup([
      {
        name: 'web',
        source: pluginSource('web', { config: "{ port: { format: 'port', default: 80 } }" }),
      },
    ]);
    await rejectsWith(
      Spool.create({ ...options, sets: [...options.sets, 'web.port=70000'] }),
      'SPOOL_ERR_CONFIG_INVALID',
      'web.port',
      '--set',
    );
    const spool = await Spool.create({ ...options, sets: [...options.sets, 'web.port=8080'] });
    assert.ok(spool.plugins.length === 1);
  });

  test('a module without a plugin, or with another name, is refused', async () => {
    const options = setup([{ name: 'odd', source: 'export const x = 1;' }]);
    await rejectsWith(Spool.create(options), 'SPOOL_ERR_PLUGIN_INVALID', '"odd"');
    const renamed = setup([{ name: 'odd', source: pluginSource('even') }]);
    await rejectsWith(Spool.create(renamed), 'SPOOL_ERR_PLUGIN_INVALID', '"even"');
    const noBuiltin = {
      ...setup([{ name: 'nope', builtin: true }]),
      builtinPluginsDir: join(tmp.path, 'none'),
    };
    await rejectsWith(Spool.create(noBuiltin), 'SPOOL_ERR_PLUGIN_NOT_FOUND', '"nope"', 'no built-in plugin');
  });

  test('a plugin reaches another plugin only through dependsOn', async () => {
    const provider = pluginSource('clock', {
      register: "ctx.provide(createToken('clock.now'), () => 42);",
    });
    const declared = pluginSource('user', {
      dependsOn: ['clock'],
      startBody: "events.push('now=' + ctx.use(createToken('clock.now'))());",
    });
    const undeclared = pluginSource('sneaky', {
      startBody: "ctx.use(createToken('clock.now'));",
    });
    const options = setup([
      { name: 'clock', source: provider },
      { name: 'user', source: declared },
      { name: 'sneaky', source: undeclared },
    ]);
    const spool = await Spool.create(options);
    await rejectsWith(spool.start(), 'SPOOL_ERR_PLUGIN_START', '"sneaky"', 'without listing "clock"');
    assert.ok(events().includes('now=42'));
  });

  test('optionalDependsOn: an enabled optional dependency is used through tryUse', async () => {
    const provider = pluginSource('pool', {
      register: "ctx.provide(createToken('pool.run'), () => 'pooled');",
    });
    const user = pluginSource('cutter', {
      optionalDependsOn: ['pool'],
      register: "events.push('tryUse=' + ctx.tryUse(createToken('pool.run'))?.());",
    });
    const options = setup([
      { name: 'pool', source: provider },
      { name: 'cutter', source: user },
    ]);
    const spool = await Spool.create(options);
    await spool.start();
    await spool.stop();
    assert.ok(events().includes('tryUse=pooled'));
    assert.ok(events().indexOf('start:pool') < events().indexOf('start:cutter'));
  });

  test('optionalDependsOn: a disabled or absent optional dependency fails nothing; tryUse is undefined', async () => {
    const user = pluginSource('cutter', {
      optionalDependsOn: ['pool', 'not-listed'],
      register: "events.push('tryUse=' + ctx.tryUse(createToken('pool.run')));",
    });
    const options = setup([
      { name: 'pool', enabled: false },
      { name: 'cutter', source: user },
    ]);
    const spool = await Spool.create(options);
    await spool.start();
    await spool.stop();
    assert.deepEqual(events(), ['register:cutter', 'tryUse=undefined', 'start:cutter', 'stop:cutter']);
  });

  test('tryUse of a provider in neither dependsOn nor optionalDependsOn is still an error', async () => {
    const provider = pluginSource('clock', {
      register: "ctx.provide(createToken('clock.now'), () => 42);",
    });
    const sneaky = pluginSource('sneaky', { startBody: "ctx.tryUse(createToken('clock.now'));" });
    const options = setup([
      { name: 'clock', source: provider },
      { name: 'sneaky', source: sneaky },
    ]);
    const spool = await Spool.create(options);
    await rejectsWith(spool.start(), 'SPOOL_ERR_PLUGIN_START', '"sneaky"', 'without listing "clock"');
  });

  test('a throwing hook tap is isolated, logged with its plugin and emitted on pluginError', async () => {
    const options = setup([
      {
        name: 'faulty',
        source: pluginSource('faulty', {
          register: "ctx.hooks.published.tap(() => { throw new Error('tap exploded'); });",
        }),
      },
      {
        name: 'steady',
        source: pluginSource('steady', {
          register:
            "ctx.hooks.published.tap(({ stream }) => { events.push('saw:' + stream.name); });" +
            "ctx.hooks.pluginError.tap((e) => { events.push('error:' + e.plugin + ':' + e.where); });",
        }),
      },
    ]);
    const spool = await Spool.create(options);
    await spool.start();
    const stream = await spool.bus.publish({
      name: 'cam1',
      login: '',
      source: 'test',
      record: false,
      tracks: [],
      query: {},
    });
    assert.ok(events().includes('saw:cam1'), 'the other tap still ran');
    assert.ok(events().includes('error:faulty:hook:published'));
    const logged = (options.logDestination as LogCapture).find(
      (line) => line.plugin === 'faulty' && String(line.msg).includes('published'),
    );
    assert.ok(logged, 'the failure is logged with the plugin name');
    assert.equal(logged.level, 50);
    const metrics = await spool.metrics.registry.getSingleMetricAsString('spool_plugin_errors_total');
    assert.match(metrics, /spool_plugin_errors_total\{plugin="faulty"\} 1/);
    await stream.end('done');
    await spool.stop();
  });
});

describe('orderPlugins', () => {
  const entry = (name: string, enabled = true) => ({ name, enabled });

  test('an enabled optional dependency starts first, wherever plugins.json lists it', () => {
    const ordered = orderPlugins(
      [
        { name: 'records-http', dependsOn: [], optionalDependsOn: ['recorder'] },
        { name: 'recorder', dependsOn: [] },
      ],
      [entry('records-http'), entry('recorder')],
    );
    assert.deepEqual(
      ordered.map((p) => p.name),
      ['recorder', 'records-http'],
    );
  });

  test('a disabled or unlisted optional dependency is skipped; a cycle through one is named', () => {
    const ordered = orderPlugins(
      [{ name: 'records-http', dependsOn: [], optionalDependsOn: ['recorder', 'other'] }],
      [entry('records-http'), entry('recorder', false)],
    );
    assert.deepEqual(
      ordered.map((p) => p.name),
      ['records-http'],
    );
    assert.throws(
      () =>
        orderPlugins(
          [
            { name: 'a', dependsOn: ['b'] },
            { name: 'b', dependsOn: [], optionalDependsOn: ['a'] },
          ],
          [entry('a'), entry('b')],
        ),
      (error: unknown) => isSpoolError(error, 'SPOOL_ERR_PLUGIN_DEPENDENCY_CYCLE'),
    );
  });
});
