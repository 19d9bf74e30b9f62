/**
 * The live file's edge cases: a VP8 track whose picture size is known only from its first keyframe, frames
 * of tracks the file does not have, writes after close.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { VideoTrack } from '../../core/index.js';
import { makeClip, readMediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMatroska } from './finalize.js';
import { MatroskaRecordingFile } from './recording-file.js';

const tmp = new TempDir('spool-mkv-file-');
after(() => tmp.cleanup());
const limits = { durationMs: 100000, sizeBytes: 131072 };

test('a VP8 track without a picture size takes it from its first keyframe', async () => {
  const media = await readMediaFile(
    await makeClip({ seconds: 2, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' }),
  );
  const { width: _width, height: _height, ...sized } = media.video!.track;
  const track: VideoTrack = sized;
  const path = join(tmp.path, 'vp8-unsized.live.webm');
  const file = await MatroskaRecordingFile.open({ path, docType: 'webm', tracks: [track], limits });
  assert.equal(file.bytesWritten, 0, 'nothing written before the size is known');
  const [keyframe, delta, ...rest] = media.video!.frames;
  assert.ok(keyframe?.keyframe && delta && !delta.keyframe);
  await assert.rejects(file.write(delta), /VP8 picture size is unknown until the first keyframe/);
  assert.equal(file.bytesWritten, 0);
  for (const frame of [keyframe, delta, ...rest]) await file.write(frame);
  // Frames of a track the file does not hold are ignored.
  await file.write({ ...keyframe, trackId: 99 });
  assert.equal(file.stats.framesWritten, media.video!.frames.length);
  await file.close();
  await assert.rejects(file.write(keyframe), /closed/);
  assert.equal(file.bytesWritten, (await stat(path)).size);

  const output = join(tmp.path, 'vp8-unsized.webm');
  await finalizeMatroska(path, output);
  assert.equal(await decodeErrors(output), '');
  const video = (await ffprobe(output)).streams[0];
  assert.deepEqual([video?.codec_name, video?.width, video?.height], ['vp8', 640, 360]);
});
