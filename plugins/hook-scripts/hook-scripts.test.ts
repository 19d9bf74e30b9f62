import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Spool } from '../../core/index.js';
import { type RecordedFile, RecorderHooksToken } from '../recorder/api.js';
import { LogCapture } from '../../test/helpers/log.js';
import { REPO_ROOT } from '../../test/helpers/spool-process.js';
import { TempDir } from '../../test/helpers/tmp.js';

const tmp = new TempDir('spool-hooks-');
after(() => tmp.cleanup());
// hook-scripts taps the recorder's recordingFinished; the tests fire that hook directly.
const pluginsFile = tmp.json('plugins.json', {
  plugins: [
    { name: 'recorder', enabled: true },
    { name: 'hook-scripts', enabled: true },
  ],
});
const recordDir = join(tmp.path, 'records');

function script(name: string, body: string): string {
  const path = tmp.file(name, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function withSpool(sets: string[], run: (spool: Spool, log: LogCapture) => Promise<void>) {
  const log = new LogCapture();
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1', `recorder.recordDir=${recordDir}`, ...sets],
    env: {},
    logDestination: log,
  });
  await spool.start();
  try {
    await run(spool, log);
  } finally {
    await spool.stop();
  }
}

function finished(filePath: string, streamName = 'cam 1'): RecordedFile {
  return {
    recordingId: 'r1',
    streamName,
    mediaSessionId: '5f2d0c1e-8a3b-4c5d-9e6f-0a1b2c3d4e5f',
    login: '',
    filePath,
    fileName: filePath.split('/').pop()!,
    container: 'mp4',
    durationMs: 10000,
    sizeBytes: 1,
    startTimeMillis: 0,
    endTimeMillis: 10000,
    reason: 'stopped',
  };
}

describe('hook-scripts', () => {
  test('runs on_record_hook_script with the stream name and file path as argv, never a shell', async () => {
    const out = join(tmp.path, 'args.txt');
    const hook = script('record-args.sh', `printf '%s\\n' "$#" "$1" "$2" > '${out}'`);
    const properties = tmp.file('wcs.properties', `on_record_hook_script=${hook}\n`);
    const log = new LogCapture();
    const spool = await Spool.create({
      pluginsFile,
      propertiesFiles: [properties],
      sets: ['http.port=0'],
      env: {},
      logDestination: log,
    });
    await spool.start();
    try {
      const hostile = '$(touch pwned) `id` ; rm -rf x';
      await spool
        .hookCatalogue(RecorderHooksToken)
        .call('recordingFinished', finished('/srv/records/a file.mp4', hostile));
      assert.equal(readFileSync(out, 'utf8'), `2\n${hostile}\n/srv/records/a file.mp4\n`);
      assert.ok(!existsSync(join(REPO_ROOT, 'pwned')));
      assert.ok(
        log.find(
          (line) =>
            line.plugin === 'hook-scripts' && String(line.msg).startsWith('on_record_hook_script done'),
        ),
      );
    } finally {
      await spool.stop();
    }
  });

  test('a missing script, a failing one and a hanging one are logged, never fatal', async () => {
    await withSpool(
      [`hook-scripts.onRecordHookScript=${join(tmp.path, 'missing.sh')}`],
      async (spool, log) => {
        await spool.hookCatalogue(RecorderHooksToken).call('recordingFinished', finished('/r/x.mp4'));
        assert.ok(log.find((line) => line.level === 50 && /could not run: ENOENT/.test(String(line.msg))));
      },
    );
    const failing = script('fail.sh', 'echo "disk quota" >&2; exit 3');
    await withSpool([`hook-scripts.onRecordHookScript=${failing}`], async (spool, log) => {
      await spool.hookCatalogue(RecorderHooksToken).call('recordingFinished', finished('/r/x.mp4'));
      const line = log.find((l) => /failed with code 3/.test(String(l.msg)));
      assert.ok(line);
      assert.equal(line.stderr, 'disk quota');
    });
    const hanging = script('hang.sh', 'sleep 30');
    await withSpool(
      [`hook-scripts.onRecordHookScript=${hanging}`, 'hook-scripts.timeoutMs=300'],
      async (spool, log) => {
        const startedAt = Date.now();
        await spool.hookCatalogue(RecorderHooksToken).call('recordingFinished', finished('/r/x.mp4'));
        assert.ok(Date.now() - startedAt < 5000);
        assert.ok(log.find((l) => /killed after 300 ms/.test(String(l.msg))));
      },
    );
  });

  test('the example scripts/on_record_hook.sh copies the recording', async () => {
    const recording = tmp.file('records/cam.mp4', 'not really an mp4');
    const copyDir = join(tmp.path, 'copies');
    const log = new LogCapture();
    const previous = process.env.RECORD_COPY_DIR;
    process.env.RECORD_COPY_DIR = copyDir;
    try {
      await withSpool(
        [`hook-scripts.onRecordHookScript=${join(REPO_ROOT, 'scripts', 'on_record_hook.sh')}`],
        async (spool, l) => {
          await spool.hookCatalogue(RecorderHooksToken).call('recordingFinished', finished(recording, 'cam'));
          log.lines.push(...l.lines);
        },
      );
    } finally {
      if (previous === undefined) delete process.env.RECORD_COPY_DIR;
      else process.env.RECORD_COPY_DIR = previous;
    }
    assert.equal(readFileSync(join(copyDir, 'cam.mp4'), 'utf8'), 'not really an mp4');
    assert.ok(log.find((line) => String(line.stdout).includes("copied recording of stream 'cam'")));
  });
});
