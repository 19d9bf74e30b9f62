/**
 * Issue 4 acceptance: for every writer, a Spool process killed with SIGKILL mid-recording leaves a file that
 * the next start recovers into a playable recording. Streams come from the file-source test plugin.
 */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { makeClip, type ClipOptions } from './helpers/media-file.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { SpoolProcess } from './helpers/spool-process.js';
import { TempDir } from './helpers/tmp.js';

const tmp = new TempDir('spool-containers-crash-');
after(() => tmp.cleanup());

const fileSource = join(import.meta.dirname, 'fixtures', 'file-source-plugin', 'index.js');

interface Setup {
  readonly plugins: readonly string[];
  readonly sets: readonly string[];
  readonly streams: readonly { name: string; clip: ClipOptions; container: string }[];
}

const setups: Setup[] = [
  {
    plugins: ['recorder', 'writer-mp4', 'writer-webm', 'transcoder'],
    sets: [],
    streams: [
      { name: 'crash-mp4', clip: { seconds: 4, bFrames: 2, audioCodec: 'opus' }, container: 'mp4' },
      {
        name: 'crash-webm',
        clip: { seconds: 4, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' },
        container: 'webm',
      },
    ],
  },
  {
    plugins: ['recorder', 'writer-mkv'],
    sets: ['recorder.recordFormats=h264-mkv,vp8-mkv'],
    streams: [{ name: 'crash-mkv', clip: { seconds: 4, bFrames: 2 }, container: 'mkv' }],
  },
  {
    plugins: ['recorder', 'writer-ts'],
    sets: ['recorder.recordH264ToTs=true'],
    streams: [{ name: 'crash-ts', clip: { seconds: 4, bFrames: 2 }, container: 'ts' }],
  },
];

async function argsFor(setup: Setup, index: number, publish: boolean): Promise<string[]> {
  const dir = join(tmp.path, `setup-${index}`);
  const pluginsFile = tmp.json(`setup-${index}/plugins.json`, {
    plugins: [
      ...setup.plugins.map((name) => ({ name, enabled: true })),
      { name: 'file-source', enabled: true, module: `./${relative(dir, fileSource)}` },
    ],
  });
  const streams = publish
    ? await Promise.all(
        setup.streams.map(async (s) => ({ name: s.name, path: await makeClip(s.clip), seconds: 120 })),
      )
    : [];
  return [
    '--plugins', pluginsFile,
    '--set', 'http.port=0', '--set', 'http.host=127.0.0.1',
    '--set', `recorder.recordDir=${join(dir, 'records')}`,
    '--set', `dataDir=${join(dir, 'data')}`,
    '--set', `file-source.streams=${JSON.stringify(streams)}`,
    ...setup.sets.flatMap((s) => ['--set', s]),
  ]; // prettier-ignore
}

test('every writer: Spool killed with SIGKILL mid-recording, the next start recovers a playable file', async () => {
  const first = await Promise.all(
    setups.map(async (setup, i) => new SpoolProcess(await argsFor(setup, i, true))),
  );
  /** When each stream's recording was seen starting, and when its Spool was killed. */
  const startedAt = new Map<string, number>();
  let killedAt: number | undefined;
  try {
    await Promise.all(first.map((p) => p.started(30_000)));
    await Promise.all(
      setups.flatMap((setup, i) =>
        setup.streams.map(async (s) => {
          const line = await first[i]!.waitForLine((l) =>
            String(l.msg).startsWith(`recording "${s.name}" to ${s.container}`),
          );
          // The line may have been logged before we looked: its own time says when.
          startedAt.set(s.name, Number(line.time));
        }),
      ),
    );
    await new Promise((done) => setTimeout(done, 5000));
  } finally {
    killedAt = Date.now();
    for (const p of first) p.kill('SIGKILL');
    await Promise.all(first.map((p) => p.exited));
  }

  const second = await Promise.all(
    setups.map(async (setup, i) => new SpoolProcess(await argsFor(setup, i, false))),
  );
  try {
    const recovered = await Promise.all(
      setups.flatMap((setup, i) =>
        setup.streams.map(async (s) => {
          const line = await second[i]!.waitForLine(
            (l) => String(l.msg).startsWith(`recovered the recording of "${s.name}"`),
            30_000,
          );
          return { stream: s, path: String(line.filePath) };
        }),
      ),
    );
    for (const { stream, path } of recovered) {
      assert.ok(path.endsWith(`.${stream.container}`), path);
      assert.equal(await decodeErrors(path), '', `${stream.name} decodes cleanly`);
      const probe = await ffprobe(path);
      const duration = Number(probe.format.duration);
      const recordedS = (killedAt! - startedAt.get(stream.name)!) / 1000;
      // What was on disk at the kill: all but the last flush interval or fragment (about 1 s).
      assert.ok(
        duration >= recordedS - 2 && duration <= recordedS + 0.5,
        `${stream.name}: recovered ${duration} s of ${recordedS.toFixed(1)} s`,
      );
      assert.deepEqual(
        probe.streams.map((s) => s.codec_type).sort(),
        ['audio', 'video'],
        `${stream.name} kept both tracks`,
      );
    }
  } finally {
    for (const p of second) p.kill('SIGTERM');
    await Promise.all(second.map((p) => p.exited));
  }
});
