import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSpoolError, type ErrorCode } from '../errors.js';
import { loadConfig, type LoadConfigOptions, type LoadedConfig } from './load.js';
import { kernelSchema } from './schema.js';

const SECRET = 'S3CR3T-do-not-print';

/** A fake plugin with a dash in its name, reference-key aliases, a converter and a secret. */
const pluginSchema = {
  recordDir: { doc: 'Where files go', format: String, default: './records', property: 'record_dir' },
  port: { doc: 'Upload port', format: 'port', default: 9000, property: ['upload_port'] },
  enabled: { doc: 'On or off', format: Boolean, default: false },
  maxParts: { doc: 'Parts', format: 'nat', default: 0 },
  pin: { doc: 'A secret number', format: 'int', default: 0, sensitive: true },
  naming: {
    doc: 'Name encoding',
    format: ['none', 'hex', 'base64'],
    default: 'none',
    property: 'encode_record_name',
    fromProperty: (raw: string): string => {
      const [on, how = ''] = raw.split(',').map((part) => part.trim());
      if (on === 'false') return 'none';
      if (on !== 'true') throw new Error(`expected "true,HEX" or "false", got ${JSON.stringify(raw)}`);
      return how.toLowerCase();
    },
  },
  apiKey: {
    doc: 'key:secret',
    format: (value: unknown) => {
      if (typeof value !== 'string' || (value !== '' && !value.includes(':'))) {
        throw new Error('must look like key:secret');
      }
    },
    default: '',
    sensitive: true,
    property: 'aws_s3_credentials',
    fromProperty: (raw: string): string => {
      if (!raw.includes(':')) throw new Error(`no colon in ${raw}`);
      return raw;
    },
  },
};
const schema = { ...kernelSchema, 'my-uploader': pluginSchema };

let dir = '';
let counter = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-load-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** As plugins declare them (a disabled one's from the build's manifest). */
const referenceKeys = {
  webm_java_writer_enable: { plugin: 'writer-webm', noEffect: 'Spool has one WebM writer' },
  record_rotation: { plugin: 'rotation' },
};

function load(sources: Partial<LoadConfigOptions> = {}): LoadedConfig {
  return loadConfig({ schema, disabledPlugins: new Set(['old-plugin']), referenceKeys, ...sources });
}

const get = (loaded: LoadedConfig, path: string): unknown => loaded.config.get(path as never);

/** Asserts that loading fails with `code` and a message holding every `wanted` and no secret. */
function assertFails(sources: Partial<LoadConfigOptions>, code: ErrorCode, ...wanted: string[]): void {
  assert.throws(
    () => load(sources),
    (error: unknown) => {
      assert.ok(isSpoolError(error, code), `expected ${code}, got ${String(error)}`);
      for (const text of wanted) assert.ok(error.message.includes(text), `"${text}" in: ${error.message}`);
      assert.ok(!error.message.includes(SECRET), `secret leaked: ${error.message}`);
      return true;
    },
  );
}

describe('loadConfig sources', () => {
  test('schema defaults alone: no origins, warnings or notices', () => {
    const loaded = load();
    assert.equal(get(loaded, 'http.port'), 8081);
    assert.equal(get(loaded, 'my-uploader.recordDir'), './records');
    assert.deepEqual([loaded.origins.size, loaded.warnings, loaded.notices], [0, [], []]);
  });

  test('each source overrides the ones before it, and origins say where values came from', () => {
    const defaultsFile = file('default.json', {
      http: { port: 1001, host: 'h' },
      'my-uploader': { maxParts: 2 },
    });
    const c1 = file('c1.json', { http: { port: 1002 }, log: { level: 'warn' }, $schema: 'ignored' });
    const c2 = file('c2.json', { http: { port: 1003 } });
    const props = file('p.properties', 'http.port=1004\nrecord_dir=/props\nbus.recorderQueueFrames=9\n');
    const env = {
      SPOOL_HTTP__PORT: '1005',
      SPOOL_MY_UPLOADER__RECORD_DIR: '/env',
      SPOOL_BUS__PLAYER_QUEUE_FRAMES: '7',
      SPOOL_DATA_DIR: '/data',
      SPOOL_UNSET: undefined,
      PATH: '/bin',
    };
    const layers: Array<[Partial<LoadConfigOptions>, number, string]> = [
      [{ defaultsFile }, 1001, defaultsFile],
      [{ defaultsFile, configFiles: [c1] }, 1002, c1],
      [{ defaultsFile, configFiles: [c1, c2] }, 1003, c2],
      [{ defaultsFile, configFiles: [c2, c1] }, 1002, c1],
      [{ defaultsFile, configFiles: [c1, c2], propertiesFiles: [props] }, 1004, `${props} line 1`],
      [
        { defaultsFile, configFiles: [c1, c2], propertiesFiles: [props], env },
        1005,
        'environment SPOOL_HTTP__PORT',
      ],
      [
        { defaultsFile, configFiles: [c1], propertiesFiles: [props], env, sets: ['http.port=1006'] },
        1006,
        '--set http.port',
      ],
    ];
    for (const [sources, port, origin] of layers) {
      const loaded = load(sources);
      assert.equal(get(loaded, 'http.port'), port, origin);
      assert.equal(loaded.origins.get('http.port'), origin);
    }
    const all = load(layers.at(-1)![0]);
    const expected: Record<string, [unknown, string | undefined]> = {
      'http.host': ['h', defaultsFile],
      'log.level': ['warn', c1],
      'my-uploader.maxParts': [2, defaultsFile],
      'my-uploader.recordDir': ['/env', 'environment SPOOL_MY_UPLOADER__RECORD_DIR'],
      'bus.recorderQueueFrames': [9, `${props} line 3`],
      'bus.playerQueueFrames': [7, 'environment SPOOL_BUS__PLAYER_QUEUE_FRAMES'],
      dataDir: ['/data', 'environment SPOOL_DATA_DIR'],
      'shutdown.timeoutMs': [60000, undefined],
    };
    for (const [path, [value, origin]] of Object.entries(expected)) {
      assert.deepEqual([get(all, path), all.origins.get(path)], [value, origin], path);
    }
  });

  test('text from environment and --set is converted to the setting type', () => {
    const loaded = load({
      env: { SPOOL_MY_UPLOADER__ENABLED: 'TRUE', SPOOL_MY_UPLOADER__MAX_PARTS: ' 3 ' },
      sets: ['my-uploader.port=9100', 'log.level=debug', 'http.host=a=b'],
    });
    assert.equal(get(loaded, 'my-uploader.enabled'), true);
    assert.equal(get(loaded, 'my-uploader.maxParts'), 3);
    assert.equal(get(loaded, 'my-uploader.port'), 9100);
    assert.equal(get(loaded, 'log.level'), 'debug');
    assert.equal(get(loaded, 'http.host'), 'a=b');
  });
});

describe('loadConfig unknown keys and disabled plugins', () => {
  test('an unknown key in a JSON file, the environment or --set stops loading', () => {
    const json = file('typo.json', { http: { prot: 1 } });
    assertFails({ configFiles: [json] }, 'SPOOL_ERR_CONFIG_UNKNOWN_KEY', json, 'http.prot');
    const top = file('top.json', { nope: {} });
    assertFails({ defaultsFile: top }, 'SPOOL_ERR_CONFIG_UNKNOWN_KEY', top, 'nope');
    assertFails({ env: { SPOOL_HTTP__PROT: '1' } }, 'SPOOL_ERR_CONFIG_UNKNOWN_KEY', 'SPOOL_HTTP__PROT');
    assertFails(
      { env: { SPOOL_MY_UPLOADER__NOPE: '1' } },
      'SPOOL_ERR_CONFIG_UNKNOWN_KEY',
      'SPOOL_MY_UPLOADER__NOPE',
    );
    assertFails({ sets: ['http.prot=1'] }, 'SPOOL_ERR_CONFIG_UNKNOWN_KEY', 'http.prot', '--set');
  });

  test('a disabled plugin section is ignored in JSON and environment, noticed in properties', () => {
    const json = file('old.json', { 'old-plugin': { anything: 'x', nested: { deep: 1 } } });
    const props = file('old.properties', 'old-plugin.anything=x\n');
    const loaded = load({
      configFiles: [json],
      propertiesFiles: [props],
      env: { SPOOL_OLD_PLUGIN__ANYTHING: 'not validated' },
    });
    assert.equal(loaded.config.has('old-plugin' as never), false);
    assert.deepEqual(loaded.warnings, []);
    assert.equal(loaded.notices.length, 1);
    assert.match(loaded.notices[0]!, /line 1: "old-plugin\.anything" ignored: its plugin is disabled/);
  });
});

describe('loadConfig invalid values', () => {
  test('a bad number from a properties file names the file, the line and the key', () => {
    const props = file('bad.properties', '# c\nhttp.host=x\nhttp.port=abc\n');
    assertFails(
      { propertiesFiles: [props] },
      'SPOOL_ERR_CONFIG_INVALID',
      `${props} line 3`,
      'http.port',
      '"abc"',
    );
    const alias = file('alias.properties', '\nupload_port = 80x\n');
    assertFails(
      { propertiesFiles: [alias] },
      'SPOOL_ERR_CONFIG_INVALID',
      `${alias} line 2`,
      'upload_port',
      'my-uploader.port',
    );
  });

  test('an out-of-range port from --set names http.port and --set', () => {
    assertFails({ sets: ['http.port=99999'] }, 'SPOOL_ERR_CONFIG_INVALID', 'http.port', '--set');
    assertFails(
      { env: { SPOOL_MY_UPLOADER__MAX_PARTS: '-1' } },
      'SPOOL_ERR_CONFIG_INVALID',
      'SPOOL_MY_UPLOADER__MAX_PARTS',
    );
    assertFails({ sets: ['http.port'] }, 'SPOOL_ERR_CONFIG_INVALID', 'key=value');
  });

  test('booleans are true or false only, from every source', () => {
    assertFails(
      { env: { SPOOL_MY_UPLOADER__ENABLED: 'yes' } },
      'SPOOL_ERR_CONFIG_INVALID',
      'my-uploader.enabled',
    );
    assertFails(
      { sets: ['my-uploader.enabled=1'] },
      'SPOOL_ERR_CONFIG_INVALID',
      'my-uploader.enabled',
      '--set',
    );
    const json = file('bool.json', { 'my-uploader': { enabled: 'no' } });
    assertFails({ configFiles: [json] }, 'SPOOL_ERR_CONFIG_INVALID', json, 'my-uploader.enabled');
    const port = file('port.json', { http: { port: '8082abc' } });
    assertFails({ configFiles: [port] }, 'SPOOL_ERR_CONFIG_INVALID', port, 'http.port');
    const ok = file('ok.json', { http: { port: '8082' }, 'my-uploader': { enabled: 'false' } });
    assert.deepEqual(
      [
        get(load({ configFiles: [ok] }), 'http.port'),
        get(load({ configFiles: [ok] }), 'my-uploader.enabled'),
      ],
      [8082, false],
    );
  });

  test('a sensitive value never appears in errors or in toString()', () => {
    const key = 'my-uploader.apiKey';
    assertFails({ sets: [`${key}=${SECRET}`] }, 'SPOOL_ERR_CONFIG_INVALID', key, '--set');
    assertFails({ env: { SPOOL_MY_UPLOADER__API_KEY: SECRET } }, 'SPOOL_ERR_CONFIG_INVALID', key);
    const json = file('secret.json', { 'my-uploader': { apiKey: SECRET } });
    assertFails({ configFiles: [json] }, 'SPOOL_ERR_CONFIG_INVALID', key, json);
    const props = file('secret.properties', `\naws_s3_credentials=${SECRET}\n`);
    assertFails(
      { propertiesFiles: [props] },
      'SPOOL_ERR_CONFIG_INVALID',
      `${props} line 2`,
      'aws_s3_credentials',
    );
    assertFails({ env: { SPOOL_MY_UPLOADER__PIN: SECRET } }, 'SPOOL_ERR_CONFIG_INVALID', 'my-uploader.pin');
    const loaded = load({ sets: [`${key}=AKIA:${SECRET}`] });
    assert.equal(get(loaded, key), `AKIA:${SECRET}`);
    assert.ok(!loaded.config.toString().includes(SECRET));
  });
});

describe('loadConfig properties files', () => {
  test('reference keys map through aliases and converters; dotted keys set native settings', () => {
    const props = file(
      'flashphoner.properties',
      'record_dir = /srv/records  \nencode_record_name=true,HEX\nhttp.port=8082\nupload_port=9001\n',
    );
    const loaded = load({ propertiesFiles: [props] });
    assert.equal(get(loaded, 'my-uploader.recordDir'), '/srv/records');
    assert.equal(get(loaded, 'my-uploader.naming'), 'hex');
    assert.equal(get(loaded, 'http.port'), 8082);
    assert.equal(get(loaded, 'my-uploader.port'), 9001);
    assert.equal(loaded.origins.get('my-uploader.recordDir'), `${props} line 1 (record_dir)`);
    assert.equal(loaded.origins.get('my-uploader.naming'), `${props} line 2 (encode_record_name)`);
    assert.equal(loaded.origins.get('http.port'), `${props} line 3`);
    assert.deepEqual([loaded.warnings, loaded.notices], [[], []]);
  });

  test('a converter that throws becomes SPOOL_ERR_CONFIG_INVALID with file, line and key', () => {
    const props = file('conv.properties', 'http.port=8082\nencode_record_name=maybe\n');
    assertFails(
      { propertiesFiles: [props] },
      'SPOOL_ERR_CONFIG_INVALID',
      `${props} line 2`,
      'encode_record_name',
      'expected "true,HEX"',
    );
  });

  test('unknown keys make one warning per file; reference keys make notices', () => {
    const a = file(
      'a.properties',
      'foo_bar=1\nwebm_java_writer_enable=true\nbaz=2\nrecord_rotation=20\nhttp.nope=3\n',
    );
    const b = file('b.properties', 'constructor=1\nhttp.port=8083\n');
    const loaded = load({ propertiesFiles: [a, b] });
    assert.equal(get(loaded, 'http.port'), 8083);
    assert.deepEqual(loaded.warnings, [
      `${a}: 3 key(s) not known to Spool, ignored: foo_bar, baz, http.nope`,
      `${b}: 1 key(s) not known to Spool, ignored: constructor`,
    ]);
    assert.equal(loaded.notices.length, 2);
    assert.match(loaded.notices[0]!, /line 2: "webm_java_writer_enable" accepted, no effect in Spool: /);
    assert.match(loaded.notices[1]!, /line 4: "record_rotation" ignored: plugin "rotation" is not enabled/);
  });

  test('a later duplicate key wins and is the origin', () => {
    const props = file('dup.properties', 'http.port=8082\nhttp.port=8084\n');
    const loaded = load({ propertiesFiles: [props] });
    assert.equal(get(loaded, 'http.port'), 8084);
    assert.equal(loaded.origins.get('http.port'), `${props} line 2`);
  });
});

describe('loadConfig files that cannot be used', () => {
  test('invalid JSON, a non-object, a missing file or a scalar for a section', () => {
    const broken = file('broken.json', '{ "http": { "port": 1, } }');
    assertFails({ configFiles: [broken] }, 'SPOOL_ERR_CONFIG_FILE', broken, 'not valid JSON');
    const list = file('list.json', [1, 2]);
    assertFails({ configFiles: [list] }, 'SPOOL_ERR_CONFIG_FILE', list);
    const missing = join(dir, 'missing.json');
    assertFails({ configFiles: [missing] }, 'SPOOL_ERR_CONFIG_FILE', missing);
    assertFails(
      { propertiesFiles: [join(dir, 'missing.properties')] },
      'SPOOL_ERR_CONFIG_FILE',
      'missing.properties',
    );
    const scalar = file('scalar.json', { http: 8080 });
    assertFails({ configFiles: [scalar] }, 'SPOOL_ERR_CONFIG_INVALID', scalar, '"http"');
  });
});
