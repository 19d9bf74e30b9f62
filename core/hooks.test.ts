import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { LogCapture } from '../test/helpers/log.js';
import { HOOK_NAMES, Hooks } from './hooks.js';
import type { PluginErrorEvent } from './events.js';
import type { StreamInfo } from './bus/stream.js';

/** A plugin's own waterfall hook, as the recorder declares recordingStart (its settings, reduced). */
interface Settings {
  readonly stream: StreamInfo;
  fileTemplate: string;
  rotation?: string;
  record: boolean;
  readonly origin: 'policy' | 'publisher' | 'rest';
}
type OwnHooks = { recordingStart: { arg: Settings; result: Settings; kind: 'waterfall' } };

function setup() {
  const capture = new LogCapture();
  const hooks = new Hooks(pino({ level: 'info' }, capture));
  const errors: PluginErrorEvent[] = [];
  hooks.tap('observer', 'pluginError', (event) => {
    errors.push(event);
  });
  return { hooks, capture, errors };
}

const stream: StreamInfo = {
  mediaSessionId: '00000000-0000-4000-8000-000000000000',
  name: 'cam',
  login: '',
  source: 'test',
  record: true,
  query: {},
  publishedAtMillis: 0,
  tracks: [],
};

describe('hook catalogue', () => {
  test('is one frozen table with every lifecycle hook', () => {
    assert.ok(Object.isFrozen(HOOK_NAMES));
    for (const name of [
      'publish',
      'published',
      'unpublished',
      'routes',
      'ready',
      'shutdown',
      'pluginError',
    ]) {
      assert.ok(HOOK_NAMES.includes(name as never), name);
    }
    const facade = setup().hooks.forPlugin('x');
    assert.ok(Object.isFrozen(facade));
    // The kernel's catalogue holds only what the kernel fires; the recorder declares its own hooks.
    for (const name of ['recordingStart', 'fileName', 'segmentClosed', 'recordingFinished']) {
      assert.ok(!HOOK_NAMES.includes(name as never), name);
    }
  });

  test("a failing waterfall tap of a plugin's own catalogue passes its input on; the next tap still runs", async () => {
    const { hooks: kernelHooks, errors, capture } = setup();
    const hooks = kernelHooks.catalogue<OwnHooks>('recorder', { recordingStart: 'waterfall' });
    const plugin = (name: string) => hooks.forPlugin(name);
    plugin('a').recordingStart.tap((settings) => ({ ...settings, fileTemplate: '{streamName}' }));
    plugin('b').recordingStart.tap(async () => {
      throw new Error('template service down');
    });
    plugin('c').recordingStart.tap((settings) => {
      settings.rotation = '20';
    });
    const initial: Settings = {
      stream,
      fileTemplate: 'stream-{mediaSessionId}-{login}',
      rotation: 'disabled',
      record: true,
      origin: 'policy',
    };
    const result = await hooks.call('recordingStart', initial);
    assert.equal(result.fileTemplate, '{streamName}');
    assert.equal(result.rotation, '20');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.plugin, 'b');
    assert.equal(errors[0]!.where, 'hook:recordingStart');
    assert.match(String((errors[0]!.error as Error).message), /template service down/);
    const line = capture.find((l) => l.plugin === 'b');
    assert.ok(line);
    assert.match(String(line.msg), /recordingStart/);
  });

  test('a failing bail tap does not bail; a refusing one does', async () => {
    const { hooks } = setup();
    hooks.tap('auth', 'publish', () => {
      throw new Error('auth backend unreachable');
    });
    const request = { name: 'cam', login: 'bob', source: 'rtmp', record: false, tracks: [], query: {} };
    assert.equal(await hooks.call('publish', request), undefined);
    hooks.tap('quota', 'publish', (r) => (r.login === 'bob' ? { reason: 'quota exceeded' } : undefined));
    assert.deepEqual(await hooks.call('publish', request), { reason: 'quota exceeded' });
  });

  test('sync hooks isolate throwing taps; a throwing pluginError tap does not recurse', () => {
    const { hooks, errors } = setup();
    hooks.tap('loud', 'pluginError', () => {
      throw new Error('error handler broken');
    });
    const mounted: string[] = [];
    hooks.tap('bad', 'routes', () => {
      throw new Error('no router');
    });
    hooks.tap('good', 'routes', () => {
      mounted.push('good');
    });
    hooks.callSync('routes', { mount: () => undefined });
    assert.deepEqual(mounted, ['good']);
    assert.deepEqual(
      errors.map((e) => e.plugin),
      ['bad'],
    );
  });

  test('parallel hooks run every tap even when one rejects', async () => {
    const { hooks, errors } = setup();
    const ran: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      hooks.tap(name, 'unpublished', async () => {
        ran.push(name);
        if (name === 'two') throw new Error('callback failed');
      });
    }
    await hooks.call('unpublished', { stream, reason: 'gone' });
    assert.deepEqual(ran.sort(), ['one', 'three', 'two']);
    assert.equal(errors.length, 1);
  });
});
