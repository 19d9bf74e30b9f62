import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, SPOOL_BIN, SpoolProcess } from './helpers/spool-process.js';
import { TempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const tmp = new TempDir('spool-cli-');
after(() => tmp.cleanup());

const helloModule = `./${relative(tmp.path, join(import.meta.dirname, 'fixtures', 'hello-plugin', 'index.js'))}`;
const pluginsFile = tmp.json('plugins.json', {
  plugins: [
    { name: 'hello', enabled: true, module: helloModule },
    { name: 'ingest-carrier-pigeon', enabled: false },
  ],
});

async function spool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SPOOL_BIN, ...args], { env: { ...process.env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('spool start', () => {
  test('serves /health, and SIGTERM exits 0 within 5 s', async () => {
    const server = new SpoolProcess([
      '--set', 'http.port=0', '--set', 'http.host=127.0.0.1',
      '--set', 'ingest-rtmp.port=0', '--set', 'ingest-rtmp.host=127.0.0.1',
      '--set', `dataDir=${join(tmp.path, 'data')}`, '--set', `recorder.recordDir=${join(tmp.path, 'records')}`,
    ]); // prettier-ignore
    const port = await server.started(10000);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    const stoppedAt = Date.now();
    server.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - stoppedAt < 5000, 'exited within 5 s');
    assert.ok(server.lines.some((line) => line.msg === 'stopping on SIGTERM'));
  });

  test('npm start runs the server, and SIGTERM to npm reaches it', async () => {
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        SPOOL_HTTP__PORT: '0',
        SPOOL_HTTP__HOST: '127.0.0.1',
        SPOOL_INGEST_RTMP__PORT: '0',
        SPOOL_INGEST_RTMP__HOST: '127.0.0.1',
        SPOOL_DATA_DIR: join(tmp.path, 'data-npm'),
        SPOOL_RECORDER__RECORD_DIR: join(tmp.path, 'records-npm'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(npm, 'exit');
    const deadline = Date.now() + 10000;
    while (!/"httpPort":\d+/.test(output) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const port = Number(/"httpPort":(\d+)/.exec(output)?.[1]);
    assert.ok(port > 0, `started within 10 s: ${output}`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    npm.kill('SIGTERM');
    await exited;
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the server is gone, not orphaned');
  });

  test('a second signal exits at once while a plugin is still stopping', async () => {
    const hang = tmp.file(
      'hang.mjs',
      `export default { name: 'hang', plugin: class { stop() { return new Promise(() => {}); } } };`,
    );
    const plugins = tmp.json('plugins-hang.json', {
      plugins: [{ name: 'hang', enabled: true, module: `./${relative(tmp.path, hang)}` }],
    });
    const server = new SpoolProcess([
      '--plugins',
      plugins,
      '--set',
      'http.port=0',
      '--set',
      'http.host=127.0.0.1',
    ]);
    await server.started();
    server.kill('SIGTERM');
    await server.waitForLine((line) => line.msg === 'stopping on SIGTERM');
    server.kill('SIGINT');
    const { code } = await server.exited;
    assert.equal(code, 130);
    assert.ok(server.stderr.some((line) => line.includes('second SIGINT')));
  });

  test('a port in use fails start-up with a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const result = await spool(
      'start',
      '--plugins',
      pluginsFile,
      '--set',
      `http.port=${port}`,
      '--set',
      'http.host=127.0.0.1',
    );
    blocker.close();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SPOOL_ERR_HTTP_LISTEN: HTTP port 127\.0\.0\.1:\d+ is already in use/);
  });

  test('a bad properties value stops start-up naming the file, line and key', async () => {
    const properties = tmp.file('bad.properties', '# comment\n\nhttp.port = eighty\n');
    const result = await spool('start', '--plugins', pluginsFile, '--properties', properties);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /SPOOL_ERR_CONFIG_INVALID: .*bad\.properties line 3: invalid value "eighty" for "http\.port"/,
    );
  });
});

describe('spool plugins and spool config', () => {
  test('plugins lists every entry with its state, dependencies and location', async () => {
    const result = await spool('plugins', '--plugins', pluginsFile);
    assert.equal(result.code, 0);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[1]!, /^NAME\s+STATE\s+DEPENDS ON\s+LOADED FROM$/);
    assert.match(lines[2]!, /^hello\s+enabled\s+-\s+.*hello-plugin\/index\.js$/);
    assert.match(lines[3]!, /^ingest-carrier-pigeon\s+disabled\s+-\s+built-in \(not loaded\)$/);
  });

  test('config prints the effective config with secrets redacted and warns once about unknown keys', async () => {
    const properties = tmp.file(
      'operator.properties',
      'record_dir=/var/records\nsome_wcs_key=1\nanother_wcs_key = 2\nhello_greeting=hi\nwebm_java_writer_enable=true\n',
    );
    const result = await spool(
      'config',
      '--plugins',
      pluginsFile,
      '--properties',
      properties,
      '--set',
      'hello.apiKey=s3cret-token',
    );
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(result.stdout) as {
      hello: { greeting: string; apiKey: string };
      http: { port: number };
    };
    assert.equal(config.hello.greeting, 'hi');
    assert.equal(config.hello.apiKey, '[Sensitive]');
    assert.equal(config.http.port, 8081);
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret-token/);
    const logLines = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const warnings = logLines.filter((line) => line.level === 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /2 key\(s\) not known to Spool, ignored: some_wcs_key, another_wcs_key/);
    const notices = logLines.map((line) => line.msg).join('\n');
    assert.match(notices, /line 1: "record_dir" ignored: plugin "recorder" is not enabled/);
    assert.match(notices, /line 5: "webm_java_writer_enable" accepted, no effect in Spool/);
  });

  test('--help for every command, and unknown commands and options are refused', async () => {
    for (const command of ['start', 'plugins', 'config']) {
      const result = await spool(command, '--help');
      assert.equal(result.code, 0);
      assert.match(result.stdout, new RegExp(`^Usage: spool ${command}`));
    }
    assert.match((await spool('--help')).stdout, /Commands:/);
    const unknown = await spool('fly');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "fly"/);
    const badOption = await spool('start', '--colour');
    assert.equal(badOption.code, 1);
    assert.match(badOption.stderr, /Unknown option '--colour'/);
  });
});
