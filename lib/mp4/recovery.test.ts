/**
 * Crash safety: a recording process killed with SIGKILL, or a file cut anywhere inside a fragment, still
 * finalizes into a playable MP4 holding every complete fragment; a file without one fails with a clear error.
 */
import { recordThenKill } from '../../test/helpers/killed-writer.js';
import assert from 'node:assert/strict';
import { copyFile, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { makeClip, videoFrameMd5s, type DecodedFrame } from '../../test/helpers/media-file.js';
import { topLevelBoxes, type TopLevelBox } from '../../test/helpers/mp4-boxes.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeFragmentedMp4, type FinalizeResult } from './finalize.js';

const WRITER_CHILD = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'fmp4-writer-child.js');
/** Complete fragments (1 s each) on disk before the kill; the kill lands inside the next one. */
const FRAGMENTS_BEFORE_KILL = 3;
const FPS = 30;

const tmp = new TempDir('spool-recovery-');
after(() => tmp.cleanup());

/** Boxes that lie entirely inside the file (a writer may be in the middle of the last one). */
async function completeBoxes(path: string): Promise<TopLevelBox[]> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) return [];
  return (await topLevelBoxes(path)).filter((box) => box.start + box.size <= size);
}

function lastBox(boxes: TopLevelBox[], type: string): TopLevelBox {
  const box = boxes.findLast((candidate) => candidate.type === type);
  assert.ok(box, `no ${type} box`);
  return box;
}

async function cutCopy(source: string, name: string, length: number): Promise<string> {
  const copy = join(tmp.path, `${name}.frag.mp4`);
  await copyFile(source, copy);
  await truncate(copy, length);
  return copy;
}

function track(result: FinalizeResult, kind: 'video' | 'audio'): FinalizeResult['tracks'][number] {
  const found = result.tracks.find((candidate) => candidate.kind === kind);
  assert.ok(found, `no ${kind} track in the result`);
  return found;
}

describe('recovering a fragmented recording cut short', () => {
  let clipFrames: DecodedFrame[] = [];
  /** The file a killed writer left behind. */
  const killed = join(tmp.path, 'killed.frag.mp4');
  let recordedS = 0;
  let recovered: FinalizeResult;
  const recoveredPath = join(tmp.path, 'killed.mp4');

  before(async () => {
    const clip = await makeClip({ seconds: 10, bFrames: 2 });
    clipFrames = await videoFrameMd5s(clip);
    ({ recordedS } = await recordThenKill(
      WRITER_CHILD,
      [clip, killed, '60', 'av', '--realtime'],
      async (point) => {
        // Wait for complete fragments on disk, then kill inside the next one (frames of it are in memory).
        const deadline = point.startedMs + 15_000;
        while (
          (await completeBoxes(killed)).filter((box) => box.type === 'mdat').length < FRAGMENTS_BEFORE_KILL
        ) {
          point.assertRecording();
          assert.ok(performance.now() < deadline, 'fragments did not reach the disk in time');
          await sleep(20);
        }
        await sleep(500);
      },
    ));
    recovered = await finalizeFragmentedMp4(killed, recoveredPath, { moovFirst: true });
  });

  test('a writer killed with SIGKILL loses at most the fragment in progress', async () => {
    const onDisk = await topLevelBoxes(killed);
    const fileSize = (await stat(killed)).size;
    const fragments = onDisk.filter((box) => box.type === 'moof').length;
    // The writer hands each fragment to the file system in one write, so the file ends at a box boundary.
    assert.equal(onDisk.at(-1)?.type, 'mdat');
    assert.equal(
      (onDisk.at(-1)?.start ?? 0) + (onDisk.at(-1)?.size ?? 0),
      fileSize,
      'file ends at a box end',
    );
    assert.equal(recovered.truncated, false);
    assert.equal(recovered.fragmentCount, fragments, 'every fragment on disk is recovered');
    assert.ok(fragments >= FRAGMENTS_BEFORE_KILL);

    const recoveredS = recovered.durationMs / 1000;
    assert.ok(recoveredS <= recordedS, `recovered ${recoveredS} s of ${recordedS} s`);
    assert.ok(
      recoveredS >= recordedS - 2,
      `recovered ${recoveredS} s of ${recordedS} s: lost more than a fragment`,
    );
  });

  test('the recovered file plays: moov first, clean decode, aligned tracks, the source pictures', async () => {
    assert.deepEqual(
      (await topLevelBoxes(recoveredPath)).map((box) => box.type),
      ['ftyp', 'moov', 'mdat'],
    );
    assert.equal(await decodeErrors(recoveredPath), '');
    const probe = await ffprobe(recoveredPath);
    const video = probe.streams.find((stream) => stream.codec_type === 'video');
    const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(audio?.codec_name, 'aac');
    const videoS = track(recovered, 'video').sampleCount / FPS;
    assert.ok(
      Math.abs(Number(video?.duration) - videoS) <= 0.05,
      `video ${video?.duration} s, ${videoS} s written`,
    );
    assert.ok(
      Math.abs(Number(audio?.duration) - videoS) <= 0.3,
      `audio ${audio?.duration} s, video ${videoS} s`,
    );
    assert.ok(
      Math.abs(Number(audio?.start_time) - Number(video?.start_time)) <= 0.05,
      'a/v start within 50 ms',
    );
    assert.deepEqual(
      await videoFrameMd5s(recoveredPath),
      clipFrames.slice(0, track(recovered, 'video').sampleCount),
      'the recovered pictures are the first ones recorded',
    );
  });

  test('a file cut inside a fragment finalizes to exactly its complete fragments', async () => {
    const boxes = await topLevelBoxes(killed);
    const fileSize = (await stat(killed)).size;
    const moof = lastBox(boxes, 'moof');
    const mdat = lastBox(boxes, 'mdat');
    // The same recording ending cleanly at the last complete fragment: what every cut must give.
    const boundary = await cutCopy(killed, 'boundary', moof.start);
    const expected = await finalizeFragmentedMp4(boundary, join(tmp.path, 'boundary.mp4'), {
      moovFirst: true,
    });
    assert.equal(expected.truncated, false);
    assert.equal(expected.fragmentCount, recovered.fragmentCount - 1);
    const expectedBytes = await readFile(join(tmp.path, 'boundary.mp4'));

    const cuts: [string, number][] = [
      ['inside the moof header', moof.start + 4],
      ['mid-moof', moof.start + Math.floor(moof.size / 2)],
      ['inside the mdat header', mdat.start + 4],
      ['mid-mdat', mdat.start + Math.floor(mdat.size / 2)],
      ['last byte missing', fileSize - 1],
    ];
    for (const [name, length] of cuts) {
      const cut = await cutCopy(killed, name.replaceAll(' ', '-'), length);
      const output = join(tmp.path, `${name.replaceAll(' ', '-')}.mp4`);
      const result = await finalizeFragmentedMp4(cut, output, { moovFirst: true });
      assert.equal(result.truncated, true, `${name}: truncated`);
      assert.equal(result.fragmentCount, expected.fragmentCount, `${name}: fragments`);
      assert.deepEqual(result.tracks, expected.tracks, `${name}: tracks`);
      assert.ok(
        (await readFile(output)).equals(expectedBytes),
        `${name}: same file as the complete fragments give`,
      );
      assert.equal(await decodeErrors(output), '', `${name}: clean decode`);
    }
    assert.deepEqual(
      await videoFrameMd5s(join(tmp.path, 'boundary.mp4')),
      clipFrames.slice(0, track(expected, 'video').sampleCount),
    );
  });

  test('a file without a complete fragment fails with a clear error and leaves no output', async () => {
    const boxes = await topLevelBoxes(killed);
    const moov = lastBox(boxes, 'moov');
    const firstMdat = boxes.find((box) => box.type === 'mdat');
    assert.ok(firstMdat);
    const cases: [string, number, RegExp][] = [
      ['empty file', 0, /no moov box/],
      ['ftyp only (killed before the first fragment)', moov.start, /no moov box/],
      ['first fragment incomplete', firstMdat.start + Math.floor(firstMdat.size / 2), /no complete fragment/],
    ];
    for (const [name, length, message] of cases) {
      const cut = await cutCopy(killed, `nothing-${length}`, length);
      const output = join(tmp.path, `nothing-${length}.mp4`);
      await assert.rejects(finalizeFragmentedMp4(cut, output, { moovFirst: true }), message, name);
      await assert.rejects(stat(output), { code: 'ENOENT' }, `${name}: no output file`);
    }
  });
});
