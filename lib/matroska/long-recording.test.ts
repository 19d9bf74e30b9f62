/**
 * Memory over hours: a long recording (15 minutes by default, env SPOOL_MKV_LONG_MINUTES) is written and
 * finalized, each in a fresh child process, and both peaks of RSS are compared with a 1-minute run: neither
 * the writer nor the finalizer may grow with the length. The result is seekable through its Cues.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { makeClip } from '../../test/helpers/media-file.js';
import { ffmpeg, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';

const CHILD = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'mkv-writer-child.js');
const LONG_MINUTES = Number(process.env.SPOOL_MKV_LONG_MINUTES ?? 15);
/** Allowed RSS difference between the long run and the 1-minute run (GC slack, not retention). */
const GROWTH_LIMIT_MB = 30;

const run = promisify(execFile);
const tmp = new TempDir('spool-mkv-long-');
after(() => tmp.cleanup());

interface Report {
  elapsedMs: number;
  peakRssMB: number;
  durationMs?: number;
  cuePointCount?: number;
  bytesWritten?: number;
}

async function child(args: string[]): Promise<Report> {
  const { stdout } = await run(process.execPath, [CHILD, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Report;
}

async function recordAndFinalize(
  clip: string,
  minutes: number,
): Promise<{ write: Report; finalize: Report; path: string }> {
  const live = join(tmp.path, `${minutes}min.live.mkv`);
  const path = join(tmp.path, `${minutes}min.mkv`);
  const write = await child(['write', clip, live, String(minutes * 60)]);
  const finalize = await child(['finalize', live, path]);
  return { write, finalize, path };
}

test(`a ${LONG_MINUTES}-minute recording is written and finalized in bounded memory`, async (t) => {
  const clip = await makeClip({ seconds: 10, bFrames: 2 });
  const short = await recordAndFinalize(clip, 1);
  const long = await recordAndFinalize(clip, LONG_MINUTES);
  const summary =
    `${LONG_MINUTES} min (${Math.round((long.write.bytesWritten ?? 0) / 2 ** 20)} MiB): ` +
    `writer ${long.write.elapsedMs} ms, peak RSS ${long.write.peakRssMB} MB (1 min: ${short.write.peakRssMB} MB); ` +
    `finalizer ${long.finalize.elapsedMs} ms, peak RSS ${long.finalize.peakRssMB} MB (1 min: ${short.finalize.peakRssMB} MB)`;
  t.diagnostic(summary);
  console.log(`writer-mkv long recording: ${summary}`);
  assert.ok(long.write.peakRssMB - short.write.peakRssMB <= GROWTH_LIMIT_MB, `writer grows: ${summary}`);
  assert.ok(
    long.finalize.peakRssMB - short.finalize.peakRssMB <= GROWTH_LIMIT_MB,
    `finalizer grows: ${summary}`,
  );

  const seconds = LONG_MINUTES * 60;
  assert.equal(long.finalize.durationMs, seconds * 1000);
  assert.ok(Math.abs(Number((await ffprobe(long.path)).format.duration) - seconds) <= 0.1);
  assert.equal(long.finalize.cuePointCount, seconds, 'a cue point per 1 s GOP');
  // Seeking (through the Cues) lands on decodable pictures anywhere in the file.
  for (const at of [seconds / 2 + 0.5, seconds - 5]) {
    const { stderr } = await ffmpeg([
      '-v',
      'error',
      '-ss',
      String(at),
      '-i',
      long.path,
      '-t',
      '2',
      '-f',
      'null',
      '-',
    ]);
    assert.equal(stderr.trim(), '', `decoding 2 s from ${at} s`);
  }
});
