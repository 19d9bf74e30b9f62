/**
 * Crash safety: a process recording to MPEG-TS in real time is killed with SIGKILL; the file it leaves
 * finalizes into a clean recording of what it had written, minus at most the last flush interval.
 */
import { recordThenKill } from '../../test/helpers/killed-writer.js';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { makeClip, videoFrameMd5s } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMpegTs, type TsFinalizeResult } from './finalize.js';

const WRITER_CHILD = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'ts-writer-child.js');
/** How long the child records before the kill. */
const RECORD_MS = 3300;
/** The writer's flush interval (its default), plus scheduling slack. */
const MAX_LOSS_S = 0.5 + 0.3;

const tmp = new TempDir('spool-ts-recovery-');
after(() => tmp.cleanup());

describe('an MPEG-TS recording killed with SIGKILL', () => {
  let clip: string;
  const killed = join(tmp.path, 'killed.tmp.ts');
  const recovered = join(tmp.path, 'killed.ts');
  let recordedS = 0;
  let sizeAfterOneSecond = 0;
  let result: TsFinalizeResult;

  before(async () => {
    clip = await makeClip({ seconds: 10, bFrames: 2 });
    ({ recordedS } = await recordThenKill(
      WRITER_CHILD,
      [clip, killed, '60', 'av', '--realtime'],
      async (point) => {
        await sleep(1000);
        sizeAfterOneSecond = (await stat(killed)).size;
        await sleep(RECORD_MS - 1000);
        point.assertRecording();
      },
    ));
    result = await finalizeMpegTs(killed, recovered);
    console.log(`recorded ${recordedS.toFixed(2)} s before the kill, recovered ${result.durationMs} ms`);
  });

  test('the file was on disk while recording, and the kill lost at most the last flush interval', async () => {
    assert.ok(sizeAfterOneSecond > 0, 'packets reached the disk within the first second');
    const recoveredS = result.durationMs / 1000;
    assert.ok(recoveredS <= recordedS + 0.1, `recovered ${recoveredS} s of ${recordedS} s`);
    assert.ok(recoveredS >= recordedS - MAX_LOSS_S, `recovered ${recoveredS} s of ${recordedS} s`);
    assert.equal(result.sizeBytes, (await stat(recovered)).size);
  });

  test('the recovered file decodes cleanly, tracks aligned, with the first pictures of the source', async () => {
    assert.equal(await decodeErrors(recovered), '');
    const probe = await ffprobe(recovered);
    const video = probe.streams.find((stream) => stream.codec_type === 'video');
    const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(audio?.codec_name, 'aac');
    assert.ok(
      Math.abs(Number(audio?.start_time) - Number(video?.start_time)) <= 0.05,
      'a/v start within 50 ms',
    );
    assert.ok(Math.abs(Number(probe.format.duration) - result.durationMs / 1000) <= 0.1, 'ffprobe duration');
    const source = (await videoFrameMd5s(clip)).map((frame) => frame.md5);
    const pictures = (await videoFrameMd5s(recovered)).map((frame) => frame.md5);
    assert.ok(pictures.length >= (recordedS - MAX_LOSS_S) * 30, `${pictures.length} pictures`);
    assert.deepEqual(pictures, source.slice(0, pictures.length));
  });
});
