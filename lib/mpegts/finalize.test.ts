/**
 * finalizeMpegTs on what a crash or a user can hand it: a recording cut at any byte (only whole packets and
 * whole frames are kept, and the rest decodes cleanly), a long recording (only its head and tail are read),
 * and files that are not MPEG-TS recordings (a clear error, no output).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  loopFrames,
  makeClip,
  readMediaFile,
  VIDEO_TRACK_ID,
  type MediaFile,
} from '../../test/helpers/media-file.js';
import { decodeErrors, ffmpeg, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMpegTs, type TsFinalizeResult } from './finalize.js';
import { TsContainerWriter } from '../../plugins/writer-ts/ts-writer.js';
import { TIMESTAMP_OFFSET, TsMuxer } from './ts-muxer.js';
import { PACKET_BYTES, TIMESTAMP_MODULO } from './ts-packets.js';
import { parsePackets } from './ts-scan.js';
import { writeTsRecording } from '../../test/fixtures/ts-writer-child.js';

const tmp = new TempDir('spool-ts-finalize-');
after(() => tmp.cleanup());

/** Each PES of a complete file: where its first packet starts and where its last packet ends. */
async function pesExtents(path: string): Promise<{ start: number; end: number }[]> {
  const extents: { start: number; end: number }[] = [];
  let current: { start: number; end: number; pid: number } | undefined;
  for (const packet of parsePackets(await readFile(path), 0)) {
    const isPes = packet.unitStart && packet.payload[0] === 0 && packet.payload[2] === 1;
    if (isPes) {
      current = { start: packet.offset, end: packet.offset + PACKET_BYTES, pid: packet.pid };
      extents.push(current);
    } else if (current !== undefined && packet.pid === current.pid) {
      current.end = packet.offset + PACKET_BYTES;
    }
  }
  return extents;
}

/** Finalizes a copy cut to `length` bytes and checks it against what the complete file's layout says. */
async function checkCut(
  source: string,
  extents: { start: number; end: number }[],
  length: number,
  full: TsFinalizeResult,
): Promise<void> {
  const whole = length - (length % PACKET_BYTES);
  // The oracle: the last frame started before the cut is kept only if all its packets are there.
  const last = extents.filter((extent) => extent.start < whole).at(-1)!;
  const expectedBytes = last.end <= whole ? whole : last.start;
  const output = join(tmp.path, `cut-${length}-${basename(source)}.out.ts`);
  const result = await finalizeMpegTs(await cutCopy(source, length), output);
  assert.equal(result.sizeBytes, expectedBytes, `cut at ${length}: bytes kept`);
  assert.equal((await stat(output)).size, expectedBytes, `cut at ${length}: output size`);
  assert.equal(await decodeErrors(output), '', `cut at ${length}: clean decode`);
  const probed = Number((await ffprobe(output)).format.duration);
  assert.ok(
    Math.abs(result.durationMs / 1000 - probed) <= 0.1,
    `cut at ${length}: ${result.durationMs} ms, ffprobe ${probed} s`,
  );
  assert.ok(result.durationMs <= full.durationMs);
}

async function cutCopy(source: string, length: number): Promise<string> {
  const path = join(tmp.path, `cut-${length}-${basename(source)}`);
  await copyFile(source, path);
  await truncate(path, length);
  return path;
}

describe('finalizeMpegTs', () => {
  let media: MediaFile;
  const complete = join(tmp.path, 'complete.tmp.ts');

  before(async () => {
    media = await readMediaFile(await makeClip({ seconds: 10, bFrames: 2 }));
    await writeTsRecording(media, complete, { totalS: 4 });
  });

  test('a recording cut at any byte keeps whole packets and whole frames, and decodes cleanly', async () => {
    const size = (await stat(complete)).size;
    const extents = await pesExtents(complete);
    const middle = extents[Math.floor(extents.length / 2)]!;
    const cuts = [
      size - 1, // the last byte missing
      middle.start + PACKET_BYTES, // a whole packet into a frame
      middle.start + PACKET_BYTES + 100, // inside the second packet of a frame
      middle.end, // right after a frame
      middle.end + 3, // 3 bytes into the next unit
      ...Array.from({ length: 5 }, (_, i) => Math.floor(((i + 1) * size) / 6) + ((i * 37) % PACKET_BYTES)),
    ];
    const full = await finalizeMpegTs(complete, join(tmp.path, 'full.ts'));
    // Two at a time: ffmpeg decodes on the other core.
    for (let i = 0; i < cuts.length; i += 2) {
      await Promise.all(cuts.slice(i, i + 2).map((length) => checkCut(complete, extents, length, full)));
    }
  });

  test('frames too large for a PES length (> 64 KB, unbounded) are kept or dropped just as well', async () => {
    const clip = join(tmp.path, 'noisy.mp4');
    // Noise at high quality: every frame is about 200 KB.
    await ffmpeg([
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30,noise=alls=60:allf=t', '-t', '0.5',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '10', '-g', '30', '-bf', '0', '-pix_fmt', 'yuv420p', clip,
    ]); // prettier-ignore
    const noisy = join(tmp.path, 'noisy.tmp.ts');
    await writeTsRecording(await readMediaFile(clip), noisy, { totalS: 0.5 });
    const size = (await stat(noisy)).size;
    const extents = await pesExtents(noisy);
    const last = extents.at(-1)!;
    assert.ok(last.end - last.start > 65_535, 'the last frame is larger than a PES length can say');
    const full = await finalizeMpegTs(noisy, join(tmp.path, 'noisy.ts'));
    for (const length of [size - 100, last.start + 5 * PACKET_BYTES + 50, last.start + 3]) {
      await checkCut(noisy, extents, length, full);
    }
  });

  test('a long recording: the duration comes from its head and tail only', async () => {
    const long = join(tmp.path, 'long.tmp.ts');
    const written = await writeTsRecording(media, long, { totalS: 300 });
    const startedMs = performance.now();
    const result = await finalizeMpegTs(long, join(tmp.path, 'long.ts'));
    const elapsedMs = performance.now() - startedMs;
    assert.equal(result.sizeBytes, written.bytesWritten);
    assert.ok(Math.abs(result.durationMs - 300_000) <= 100, `${result.durationMs} ms`);
    // Zeros over the middle: a finalizer that read it would find no sync byte there.
    const handle = await open(long, 'r+');
    await handle.write(new Uint8Array(16 * 1024 * 1024), 0, 16 * 1024 * 1024, 8 * 1024 * 1024);
    await handle.close();
    const again = await finalizeMpegTs(long, join(tmp.path, 'long-again.ts'));
    assert.equal(again.durationMs, result.durationMs);
    console.log(
      `finalized ${(written.bytesWritten / 2 ** 20).toFixed(1)} MB (300 s) in ${elapsedMs.toFixed(0)} ms`,
    );
  });

  test('a recording that crosses the 33-bit timestamp wrap (every 26.5 hours) keeps its duration', async () => {
    // The muxer directly, with timestamps 0.5 s before the wrap: only 2^33 ticks of the clock exist.
    const shift = TIMESTAMP_MODULO - TIMESTAMP_OFFSET - 45_000;
    const muxer = new TsMuxer({
      video: { avcC: media.video!.track.config!, timescale: 90_000 },
      audio: { audioSpecificConfig: media.audio!.track.config!, timescale: 90_000 },
    });
    const packets = [...loopFrames(media, { totalS: 3 })].map((frame) => {
      const audioScale = 90_000 / media.audio!.track.timescale;
      const scale = frame.trackId === VIDEO_TRACK_ID ? 1 : audioScale;
      const shifted = {
        ...frame,
        pts: Math.round(frame.pts * scale) + shift,
        dts: Math.round(frame.dts * scale) + shift,
      };
      return frame.trackId === VIDEO_TRACK_ID ? muxer.video(shifted) : muxer.audio(shifted);
    });
    const wrapped = await writeBytes('wrapped.ts', Buffer.concat(packets));
    const result = await finalizeMpegTs(wrapped, join(tmp.path, 'wrapped.out.ts'));
    assert.ok(Math.abs(result.durationMs - 3000) <= 50, `${result.durationMs} ms`);
    assert.equal(await decodeErrors(wrapped), '');
  });

  test("runs in a worker thread from the writer's finalizer reference, as the recorder's pool runs it", async () => {
    const { module, exportName } = new TsContainerWriter({ flushIntervalMs: 500 }).finalizer;
    const output = join(tmp.path, 'from-worker.ts');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module)
         .then((loaded) => loaded[workerData.exportName](workerData.input, workerData.output, {}))
         .then((result) => parentPort.postMessage(result), (error) => parentPort.postMessage({ error: String(error) }));`,
      { eval: true, workerData: { module, exportName, input: complete, output } },
    );
    const [result] = (await once(worker, 'message')) as [unknown];
    await worker.terminate();
    assert.deepEqual(result, await finalizeMpegTs(complete, join(tmp.path, 'from-main-thread.ts')));
    assert.ok((await readFile(output)).equals(await readFile(complete)));
  });

  test('files that are not MPEG-TS recordings are refused with a clear message and no output', async () => {
    const mp4 = await makeClip({ seconds: 1, bFrames: 0 });
    const headersOnly = join(tmp.path, 'headers-only.ts');
    await writeFile(headersOnly, (await readFile(complete)).subarray(0, 2 * PACKET_BYTES)); // PAT + PMT
    const cases: [string, string, RegExp][] = [
      [
        'random bytes',
        await writeBytes('random.ts', randomBytes(64 * 1024)),
        /not MPEG-TS: byte 0x.. at offset 0/,
      ],
      [
        'text',
        await writeBytes('text.ts', Buffer.from('hello '.repeat(100))),
        /not MPEG-TS: byte 0x68 at offset 0/,
      ],
      ['an MP4 file', mp4, /not MPEG-TS: byte 0x00 at offset 0/],
      [
        'an empty file',
        await writeBytes('empty.ts', Buffer.alloc(0)),
        /no complete 188-byte packet \(0 bytes\)/,
      ],
      ['a partial packet', await cutCopy(complete, 100), /no complete 188-byte packet \(100 bytes\)/],
      ['PAT and PMT only', headersOnly, /no complete frame/],
    ];
    for (const [name, path, message] of cases) {
      const output = join(tmp.path, `${name.replaceAll(' ', '-')}.out.ts`);
      await assert.rejects(finalizeMpegTs(path, output), message, name);
      await assert.rejects(
        finalizeMpegTs(path, output),
        /^Error: cannot finalize MPEG-TS recording \//,
        name,
      );
      await assert.rejects(stat(output), { code: 'ENOENT' }, `${name}: no output`);
    }
  });
});

async function writeBytes(name: string, data: Uint8Array): Promise<string> {
  const path = join(tmp.path, name);
  await writeFile(path, data);
  return path;
}
