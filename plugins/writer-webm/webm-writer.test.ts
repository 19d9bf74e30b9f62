/**
 * writer-webm: registered with writer-mkv disabled, configured by the reference's cluster keys from a
 * flashphoner.properties file, refusing what WebM cannot hold with a reason, and writing WebM files.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Spool, type Track } from '../../core/index.js';
import { exactFrameTimes, walkClusters } from '../../test/fixtures/mkv-writer-child.js';
import { LogCapture } from '../../test/helpers/log.js';
import { loopFrames, makeClip, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { WriterRegistryToken, type ContainerWriter, type FinalizeResult } from '../recorder/api.js';
import { MatroskaContainerWriter, MKV_PROFILE, WEBM_PROFILE } from '../writer-mkv/matroska-writer.js';

const tmp = new TempDir('spool-writer-webm-');
after(() => tmp.cleanup());

const limits = { durationMs: 100000, sizeBytes: 131072 };
const webm = new MatroskaContainerWriter(WEBM_PROFILE, limits);
const mkv = new MatroskaContainerWriter(MKV_PROFILE, limits);
const avcC = Uint8Array.from(
  Buffer.from(
    '0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000468ef8fcbfdf8f800',
    'hex',
  ),
);
const h264: Track = {
  id: 1,
  kind: 'video',
  codec: 'h264',
  timescale: 90000,
  width: 640,
  height: 360,
  config: avcC,
};
const vp8: Track = { id: 1, kind: 'video', codec: 'vp8', timescale: 90000, width: 640, height: 360 };
const audio = (codec: 'aac' | 'opus' | 'pcma' | 'pcmu'): Track => ({
  id: 2,
  kind: 'audio',
  codec,
  timescale: codec === 'opus' ? 48000 : 8000,
  sampleRate: codec === 'opus' ? 48000 : 8000,
  channels: 1,
  ...(codec === 'aac' ? { config: Uint8Array.of(0x15, 0x88) } : {}),
});

test('WebM holds VP8 + Opus and refuses H.264, AAC and G.711 with a reason; MKV holds them all', () => {
  assert.equal(webm.unsupported([vp8, audio('opus')]), undefined);
  assert.equal(
    webm.unsupported([h264]),
    'WebM cannot hold H.264 video, only VP8; record it to mkv (or mp4) instead',
  );
  assert.match(webm.unsupported([vp8, audio('aac')]) ?? '', /WebM cannot hold AAC audio, only Opus/);
  assert.match(webm.unsupported([vp8, audio('pcma')]) ?? '', /WebM cannot hold G.711 A-law audio/);
  assert.deepEqual(webm.audioCodecs, ['opus']);
  assert.equal(webm.extension, 'webm');
  for (const video of [h264, vp8]) {
    for (const codec of ['aac', 'opus', 'pcma', 'pcmu'] as const) {
      assert.equal(mkv.unsupported([video, audio(codec)]), undefined, `${video.codec} + ${codec} in MKV`);
    }
  }
  assert.deepEqual(mkv.audioCodecs, ['aac', 'opus', 'pcma', 'pcmu', 'vorbis']);
  assert.match(mkv.unsupported([{ ...h264, config: undefined }]) ?? '', /no avcC yet/);
  assert.match(mkv.unsupported([]) ?? '', /no audio or video track/);
});

test('writer-webm runs with writer-mkv disabled and takes webm_cluster_* from flashphoner.properties', async () => {
  const dir = join(tmp.path, 'spool');
  const spool = await Spool.create({
    pluginsFile: tmp.json('plugins.json', {
      plugins: [
        { name: 'recorder', enabled: true },
        { name: 'writer-mkv', enabled: false },
        { name: 'writer-webm', enabled: true },
      ],
    }),
    propertiesFiles: [
      tmp.file('flashphoner.properties', 'webm_cluster_duration_limit=200\nwebm_cluster_size_limit=65536\n'),
    ],
    sets: [
      'http.port=0',
      'http.host=127.0.0.1',
      `recorder.recordDir=${join(dir, 'records')}`,
      `dataDir=${dir}`,
    ],
    env: {},
    logDestination: new LogCapture(),
  });
  let writer: ContainerWriter | undefined;
  await spool.start();
  try {
    const registry = spool.service(WriterRegistryToken);
    assert.equal(registry.get('mkv'), undefined, 'writer-mkv is disabled');
    writer = registry.get('webm');
  } finally {
    await spool.stop();
  }
  assert.ok(writer instanceof MatroskaContainerWriter, 'writer-webm registered its writer');

  const media: MediaFile = exactFrameTimes(
    await readMediaFile(await makeClip({ seconds: 3, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' })),
  );
  const live = join(tmp.path, 'configured.live.webm');
  const tracks = [media.video!.track, media.audio!.track];
  const file = await writer.open({ tmpPath: live, tracks, log: spool.log });
  for (const frame of loopFrames(media, { totalS: 3 })) await file.write(frame);
  await file.close();
  for (const cluster of await walkClusters(live)) {
    assert.ok(
      Math.max(...cluster.blocks.map((block) => block.offsetMs)) < 200,
      'webm_cluster_duration_limit=200',
    );
  }
  // The finalizer the recorder's worker pool runs, loaded the same way (module URL + export name).
  const module = (await import(writer.finalizer.module)) as Record<string, unknown>;
  const finalize = module[writer.finalizer.exportName] as (
    a: string,
    b: string,
    o: unknown,
  ) => Promise<FinalizeResult>;
  const output = join(tmp.path, 'configured.webm');
  const result = await finalize(live, output, writer.finalizeOptions());
  assert.equal((result as FinalizeResult & { docType?: string }).docType, 'webm');
  assert.ok(Math.abs(result.durationMs - 3000) <= 100, `${result.durationMs} ms`);
  assert.equal(await decodeErrors(output), '');
});
