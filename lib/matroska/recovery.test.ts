/**
 * Crash safety: a writer killed with SIGKILL leaves a live Matroska file that finalizes into a playable
 * recording of (almost) everything written before the kill; a file cut anywhere still finalizes to its
 * complete frames; a file that is not Matroska is refused with a clear error and no output.
 */
import { recordThenKill } from '../../test/helpers/killed-writer.js';
import assert from 'node:assert/strict';
import { copyFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { walkClusters } from '../../test/fixtures/mkv-writer-child.js';
import { makeClip, videoFrameMd5s, type DecodedFrame } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMatroska, type MatroskaFinalizeResult } from './finalize.js';

const WRITER_CHILD = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'mkv-writer-child.js');
/** Clusters (one per 1 s GOP) completed before the kill, which lands inside the next one. */
const CLUSTERS_BEFORE_KILL = 3;
const VIDEO = 1;

const tmp = new TempDir('spool-mkv-recovery-');
after(() => tmp.cleanup());

async function cutCopy(source: string, name: string, length: number): Promise<string> {
  const copy = join(tmp.path, `${name}.live.mkv`);
  await copyFile(source, copy);
  await truncate(copy, length);
  return copy;
}

/** Every decoded picture is the source's picture at the same time (the source looped). */
function assertSourcePictures(decoded: DecodedFrame[], source: DecodedFrame[], what: string): void {
  for (const picture of decoded) {
    assert.equal(picture.md5, source[picture.pts % source.length]?.md5, `${what}: picture at ${picture.pts}`);
  }
}

describe('recovering a Matroska recording cut short', () => {
  let clip = '';
  let sourcePictures: DecodedFrame[] = [];
  const killed = join(tmp.path, 'killed.live.mkv');
  let recordedS = 0;
  let recovered: MatroskaFinalizeResult;
  const recoveredPath = join(tmp.path, 'killed.mkv');

  before(async () => {
    clip = await makeClip({ seconds: 10, bFrames: 2 });
    sourcePictures = await videoFrameMd5s(clip);
    ({ recordedS } = await recordThenKill(
      WRITER_CHILD,
      ['write', clip, killed, '60', 'av', '--realtime'],
      async (point) => {
        const deadline = point.startedMs + 15_000;
        // A cluster is complete once the next one has begun.
        while ((await walkClusters(killed).catch(() => [])).length <= CLUSTERS_BEFORE_KILL) {
          point.assertRecording();
          assert.ok(performance.now() < deadline, 'clusters did not reach the disk in time');
          await sleep(20);
        }
        await sleep(500);
      },
    ));
    recovered = await finalizeMatroska(killed, recoveredPath);
  });

  test('a writer killed with SIGKILL loses almost nothing: every frame is on disk as it arrives', async (t) => {
    t.diagnostic(`killed after ${recordedS.toFixed(3)} s; recovered ${recovered.durationMs} ms`);
    const clusters = await walkClusters(killed);
    assert.ok(clusters.length > CLUSTERS_BEFORE_KILL);
    assert.ok(
      clusters.slice(0, -1).every((cluster) => !cluster.unknownSize),
      'finished clusters have their size',
    );
    assert.equal(
      clusters.at(-1)?.unknownSize,
      true,
      'the cluster being written when killed has the unknown size',
    );
    assert.equal(recovered.clusterCount, clusters.length, 'every cluster is recovered, the open one too');
    const recoveredS = recovered.durationMs / 1000;
    // Decode order runs ahead of presentation (B-frames), the last frame's duration counts, and `started`
    // reaches this process a little late: the file may hold a few frames "after" the measured time.
    assert.ok(recoveredS <= recordedS + 0.3, `recovered ${recoveredS} s of ${recordedS} s`);
    assert.ok(recoveredS >= recordedS - 0.5, `recovered ${recoveredS} s of ${recordedS} s: frames were lost`);
  });

  test('the recovered file plays: clean decode, aligned tracks, the source pictures, Cues', async () => {
    assert.equal(await decodeErrors(recoveredPath), '');
    const probe = await ffprobe(recoveredPath);
    const video = probe.streams.find((stream) => stream.codec_type === 'video');
    const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(audio?.codec_name, 'aac');
    assert.ok(Math.abs(Number(probe.format.duration) - recovered.durationMs / 1000) <= 0.05);
    assert.ok(
      Math.abs(Number(audio?.start_time) - Number(video?.start_time)) <= 0.05,
      'a/v start within 50 ms',
    );
    const pictures = await videoFrameMd5s(recoveredPath);
    const videoTrack = recovered.tracks.find((track) => track.type === 'video');
    assert.equal(pictures.length, videoTrack?.blocks, 'every video frame written decodes');
    assertSourcePictures(pictures, sourcePictures, 'recovered');
    assert.ok(recovered.cuePointCount >= CLUSTERS_BEFORE_KILL);
  });

  test('a file cut anywhere finalizes to its complete frames', async () => {
    const clusters = await walkClusters(killed);
    const last = clusters.at(-1)!;
    const second = clusters[1]!;
    const fileSize = (await stat(killed)).size;
    // Cluster ID + 8-byte size, then the Timestamp element (ID, size, value): the cluster has no block yet.
    const timestampBytes = last.timestampMs < 256 ? 1 : last.timestampMs < 65536 ? 2 : 3;
    const emptyCluster = last.start + 12 + 2 + timestampBytes;
    const cuts: [string, number][] = [
      ['inside the last cluster header', last.start + 6],
      ['after the last cluster timestamp', emptyCluster],
      ['mid-way through the last cluster', last.start + Math.floor(last.bytes / 2)],
      ['last byte missing', fileSize - 1],
      ['mid-way through the second cluster', second.start + Math.floor(second.bytes / 2)],
    ];
    for (const [name, length] of cuts) {
      const cut = await cutCopy(killed, name.replaceAll(' ', '-'), length);
      const output = join(tmp.path, `${name.replaceAll(' ', '-')}.mkv`);
      const result = await finalizeMatroska(cut, output);
      const complete = await walkClusters(cut);
      const videoBlocks = complete.flatMap((c) => c.blocks).filter((block) => block.track === VIDEO).length;
      assert.equal(result.truncated, length !== emptyCluster, `${name}: truncated`);
      assert.equal(
        result.tracks.find((track) => track.type === 'video')?.blocks,
        videoBlocks,
        `${name}: frames`,
      );
      assert.equal(await decodeErrors(output), '', `${name}: clean decode`);
      const pictures = await videoFrameMd5s(output);
      assert.equal(pictures.length, videoBlocks, `${name}: decoded pictures`);
      assertSourcePictures(pictures, sourcePictures, name);
    }
  });

  test('a file that is not Matroska, or holds no frame, is refused clearly and leaves no output', async () => {
    const text = join(tmp.path, 'notes.txt');
    await writeFile(text, 'not a recording\n');
    const empty = join(tmp.path, 'empty.mkv');
    await writeFile(empty, '');
    const clusters = await walkClusters(killed);
    const cases: [string, string, RegExp][] = [
      ['an MP4 file', clip, /is not a Matroska\/WebM file: it does not start with an EBML header/],
      ['a text file', text, /is not a Matroska\/WebM file/],
      ['an empty file (killed before the first frame)', empty, /is empty, not Matroska/],
      ['header only', await cutCopy(killed, 'header-only', clusters[0]!.start), /no complete cluster/],
      ['cut inside Tracks', await cutCopy(killed, 'in-tracks', 120), /no Tracks element/],
    ];
    for (const [name, input, message] of cases) {
      const output = join(tmp.path, `refused-${name.replaceAll(' ', '-')}.mkv`);
      await assert.rejects(finalizeMatroska(input, output), message, name);
      await assert.rejects(stat(output), { code: 'ENOENT' }, `${name}: no output file`);
    }
  });
});
