import assert from 'node:assert/strict';
import { chmodSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { topLevelBoxTypes } from './helpers/mp4-boxes.js';
import { freePort } from './helpers/ports.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { SpoolProcess } from './helpers/spool-process.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-crash-');
after(() => tmp.cleanup());

test('Spool killed with SIGKILL mid-recording: the next start recovers a playable file and runs the hook', async () => {
  const recordDir = join(tmp.path, 'records');
  const argsFile = join(tmp.path, 'hook-args.txt');
  const hook = tmp.file('hook.sh', `#!/bin/sh\nprintf '%s\\n' "$1" "$2" > '${argsFile}'\n`);
  chmodSync(hook, 0o755);
  const pluginsFile = tmp.json('plugins.json', {
    plugins: ['ingest-rtmp', 'recorder', 'writer-mp4', 'hook-scripts'].map((name) => ({
      name,
      enabled: true,
    })),
  });
  const port = await freePort();
  const args = [
    '--plugins', pluginsFile,
    '--set', 'http.port=0', '--set', 'http.host=127.0.0.1',
    '--set', `ingest-rtmp.port=${port}`, '--set', 'ingest-rtmp.host=127.0.0.1',
    '--set', `recorder.recordDir=${recordDir}`,
    '--set', 'recorder.fileTemplate={streamName}-{startTime}-{endTime}',
    '--set', `hook-scripts.onRecordHookScript=${hook}`,
    '--set', `dataDir=${join(tmp.path, 'data')}`,
  ]; // prettier-ignore

  const first = new SpoolProcess(args);
  await first.started();
  const publisher = new RtmpPublisher({
    url: `rtmp://127.0.0.1:${port}/live/crashy?record=true`,
    seconds: 60,
  });
  await first.waitForLine((line) => /^recording "crashy" to mp4/.test(String(line.msg)));
  const recordingFrom = Date.now();
  await new Promise((r) => setTimeout(r, 6000));
  first.kill('SIGKILL');
  const recordedSeconds = (Date.now() - recordingFrom) / 1000;
  await first.exited;
  publisher.kill();
  await publisher.exited;
  assert.deepEqual(
    readdirSync(recordDir).filter((name) => !name.startsWith('.')),
    [],
    'nothing finished before the crash',
  );

  const second = new SpoolProcess(args);
  try {
    await second.started();
    const recovered = await second.waitForLine((line) =>
      /^recovered the recording of "crashy"/.test(String(line.msg)),
    );
    const path = String(recovered.filePath);
    const named = /crashy-(\d+)-(\d+)\.mp4$/.exec(path);
    assert.ok(named, `named by the template: ${path}`);
    const [startTime, endTime] = [Number(named[1]), Number(named[2])];
    assert.ok(startTime < 1000, 'an RTMP stream starts near 0');
    assert.deepEqual(readdirSync(recordDir), [path.split('/').pop()], 'no temporary file or journal left');
    assert.equal(await decodeErrors(path), '');
    assert.deepEqual(
      (await topLevelBoxTypes(path)).filter((b) => b !== 'free'),
      ['ftyp', 'moov', 'mdat'],
    );
    const duration = Number((await ffprobe(path)).format.duration);
    assert.ok(duration >= recordedSeconds - 2, `recovered ${duration} s of ${recordedSeconds.toFixed(1)} s`);
    assert.ok(duration <= recordedSeconds + 0.5);
    assert.ok(Math.abs(endTime - startTime - duration * 1000) < 100, '{endTime} from the recovered duration');
    await second.waitForLine((line) => String(line.msg).startsWith('on_record_hook_script done'));
    assert.ok(existsSync(argsFile));
    assert.equal(readFileSync(argsFile, 'utf8'), `crashy\n${path}\n`);
  } finally {
    second.kill('SIGTERM');
    await second.exited;
  }
});
