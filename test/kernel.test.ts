import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join, relative } from 'node:path';
import { Spool } from '../core/index.js';
import { LogCapture } from './helpers/log.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-kernel-');
const fixture = join(import.meta.dirname, 'fixtures', 'hello-plugin', 'index.js');

describe('a third-party plugin loaded from a path in plugins.json', () => {
  let spool: Spool;
  let base: string;
  const log = new LogCapture();

  before(async () => {
    const pluginsFile = tmp.json('plugins.json', {
      plugins: [{ name: 'hello', enabled: true, module: `./${relative(tmp.path, fixture)}` }],
    });
    const properties = tmp.file('flashphoner.properties', '# operator file\nhello_greeting = bonjour\n');
    spool = await Spool.create({
      pluginsFile,
      propertiesFiles: [properties],
      sets: ['http.port=0', 'http.host=127.0.0.1'],
      env: {},
      logDestination: log,
    });
    await spool.start();
    base = `http://127.0.0.1:${spool.httpPort}`;
  });

  after(async () => {
    await spool.stop();
    tmp.cleanup();
  });

  test('health is 200 once every plugin started', async () => {
    const response = await fetch(`${base}/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      status: string;
      plugins: Array<{ name: string; state: string }>;
    };
    assert.equal(body.status, 'running');
    assert.deepEqual(body.plugins, [{ name: 'hello', state: 'started' }]);
  });

  test('mounts its route, reads its config from the properties file, and subscribes to streams', async () => {
    const stream = await spool.bus.publish({
      name: 'lobby',
      login: 'alice',
      source: 'test',
      record: false,
      query: {},
      tracks: [{ id: 1, kind: 'audio', codec: 'aac', timescale: 48000, sampleRate: 48000, channels: 2 }],
    });
    for (let i = 0; i < 25; i++) {
      stream.writeFrame({
        trackId: 1,
        data: new Uint8Array(8),
        dts: i * 1024,
        pts: i * 1024,
        keyframe: true,
        arrivalMs: Date.now(),
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
    const response = await fetch(`${base}/hello`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { greeting: 'bonjour', frames: { lobby: 25 } });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /spool_streams_published\{source="test"\} 1/);
    assert.match(metrics, /spool_bus_subscribers 1/);
    assert.match(metrics, /process_cpu_user_seconds_total/);
    await stream.end('publisher left');
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.match(after, /spool_streams_published\{source="test"\} 0/);
    assert.match(after, /spool_bus_subscribers 0/);
  });

  test('unknown routes and methods answer JSON errors', async () => {
    const response = await fetch(`${base}/nowhere`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: 'no route for GET /nowhere',
      code: 'SPOOL_ERR_NOT_FOUND',
    });
    const wrongMethod = await fetch(`${base}/health`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
  });

  test('every log line carries the plugin name', () => {
    assert.ok(log.lines.length > 0);
    for (const line of log.lines) assert.equal(typeof line.plugin, 'string', JSON.stringify(line));
  });
});
