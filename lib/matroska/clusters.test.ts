/**
 * Cluster layout of the live file while recording: a cluster per GOP by default, and the
 * webm_cluster_duration_limit / webm_cluster_size_limit cuts (then clusters start mid-GOP, which must still
 * play). Clusters are counted by the fixture's own EBML walker, not by the writer's code.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { walkClusters, writeMatroska, type WalkedCluster } from '../../test/fixtures/mkv-writer-child.js';
import { makeClip, readMediaFile, videoFrameMd5s, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMatroska } from './finalize.js';
import type { ClusterLimits } from './recording-file.js';

const TOTAL_S = 12;
const VIDEO = 1;
/** Frames loopFrames gives for TOTAL_S: 30 fps video, and AAC frames of 1024 samples at 44.1 kHz. */
const FRAMES = TOTAL_S * 30 + Math.floor((TOTAL_S * 44100) / 1024);
const tmp = new TempDir('spool-mkv-clusters-');
after(() => tmp.cleanup());

let media: MediaFile;
let clip: string;
before(async () => {
  clip = await makeClip({ seconds: 10, bFrames: 2 });
  media = await readMediaFile(clip);
});

async function record(
  name: string,
  limits: ClusterLimits,
): Promise<{ path: string; clusters: WalkedCluster[] }> {
  const path = join(tmp.path, `${name}.live.mkv`);
  const { bytesWritten } = await writeMatroska(media, path, { totalS: TOTAL_S, limits });
  assert.equal(bytesWritten, (await stat(path)).size, 'bytesWritten = size of the file');
  const clusters = await walkClusters(path);
  assert.ok(
    clusters.every((cluster) => !cluster.unknownSize),
    'closing the file patched every cluster size',
  );
  const blocks = clusters.reduce((sum, cluster) => sum + cluster.blocks.length, 0);
  assert.equal(blocks, FRAMES, 'every frame is in a cluster');
  return { path, clusters };
}

/** Every video keyframe is the first block of a cluster. */
function assertKeyframesStartClusters(clusters: WalkedCluster[]): void {
  clusters.forEach((cluster, i) =>
    cluster.blocks.forEach((block, j) => {
      if (block.track === VIDEO && block.keyframe) assert.equal(j, 0, `cluster ${i}: keyframe at block ${j}`);
    }),
  );
}

/** The finalized recording still plays every picture of the source, wherever clusters were cut. */
async function assertPlays(live: string, name: string): Promise<void> {
  const output = join(tmp.path, `${name}.mkv`);
  await finalizeMatroska(live, output);
  assert.equal(await decodeErrors(output), '');
  const probe = await ffprobe(output);
  assert.ok(Math.abs(Number(probe.format.duration) - TOTAL_S) <= 0.1, `duration ${probe.format.duration}`);
  const source = await videoFrameMd5s(clip);
  const pictures = await videoFrameMd5s(output);
  assert.deepEqual(
    pictures.map((picture) => picture.md5),
    pictures.map((_, i) => source[i % source.length]?.md5),
  );
}

describe('clusters of the live Matroska file', () => {
  test('default limits (100000 ms, 131072 bytes): one cluster per GOP, each starting at its keyframe', async () => {
    const { clusters } = await record('default', { durationMs: 100000, sizeBytes: 131072 });
    assert.equal(clusters.length, TOTAL_S, 'a 1 s GOP per cluster');
    for (const [i, cluster] of clusters.entries()) {
      assert.deepEqual(
        cluster.blocks[0],
        { track: VIDEO, offsetMs: 0, keyframe: true },
        `cluster ${i} first block`,
      );
      assert.equal(cluster.timestampMs, i * 1000);
      assert.ok(cluster.bytes <= 131072, `cluster ${i}: ${cluster.bytes} bytes`);
    }
    assertKeyframesStartClusters(clusters);
  });

  test('webm_cluster_duration_limit=250: no block 250 ms or more after its cluster start', async () => {
    const { path, clusters } = await record('duration-250', { durationMs: 250, sizeBytes: 131072 });
    for (const [i, cluster] of clusters.entries()) {
      const latest = Math.max(...cluster.blocks.map((block) => block.offsetMs));
      assert.ok(latest < 250, `cluster ${i}: a block ${latest} ms after its start`);
    }
    assert.ok(clusters.length >= (TOTAL_S * 1000) / 250, `${clusters.length} clusters`);
    assertKeyframesStartClusters(clusters);
    await assertPlays(path, 'duration-250');
  });

  test('webm_cluster_size_limit=16384: no cluster larger, unless one frame alone is', async () => {
    const { path, clusters } = await record('size-16k', { durationMs: 100000, sizeBytes: 16384 });
    let oversized = 0;
    for (const [i, cluster] of clusters.entries()) {
      if (cluster.blocks.length === 1 && cluster.bytes > 16384) oversized++;
      else
        assert.ok(
          cluster.bytes <= 16384,
          `cluster ${i}: ${cluster.bytes} bytes, ${cluster.blocks.length} blocks`,
        );
    }
    assert.ok(oversized <= TOTAL_S, `${oversized} single-frame clusters over the limit (keyframes)`);
    assertKeyframesStartClusters(clusters);
    await assertPlays(path, 'size-16k');
  });

  test('a duration limit above 32767 ms is capped: block timestamps are 16-bit', async () => {
    const path = join(tmp.path, 'audio-70s.live.mkv');
    const seconds = 70;
    await writeMatroska(media, path, {
      totalS: seconds,
      video: false,
      limits: { durationMs: 100000, sizeBytes: 1e9 },
    });
    const clusters = await walkClusters(path);
    assert.equal(clusters.length, Math.ceil((seconds * 1000) / 32768), 'clusters of 32.767 s at most');
    for (const cluster of clusters) {
      assert.ok(Math.max(...cluster.blocks.map((block) => block.offsetMs)) <= 32767);
    }
    const output = join(tmp.path, 'audio-70s.mkv');
    const result = await finalizeMatroska(path, output);
    assert.equal(await decodeErrors(output), '');
    assert.ok(Math.abs(result.durationMs / 1000 - seconds) <= 0.1, `duration ${result.durationMs} ms`);
  });
});
