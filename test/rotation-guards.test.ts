/**
 * Issue 5 acceptance: rotation by time and size, part numbering, the disk-space guard and the error
 * policy, on real MP4 files judged by ffmpeg/ffprobe. Streams come from a media file published on the
 * bus faster than real time (rotation and timing follow media time, not the wall clock).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiskGuardToken } from '../plugins/disk-guard/api.js';
import { RecorderServiceToken } from '../plugins/recorder/api.js';
import { publishFile } from './helpers/file-publisher.js';
import { makeClip, readMediaFile, type MediaFile } from './helpers/media-file.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { startSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-rotation-');
after(() => tmp.cleanup());
const faultyWriter = join(import.meta.dirname, 'fixtures', 'faulty-writer-plugin', 'index.js');

let media: MediaFile;
/** Without B-frames, decode order is presentation order: the frames an error skips are easy to count. */
let plainMedia: MediaFile;
before(async () => {
  media = await readMediaFile(await makeClip({ seconds: 4, bFrames: 2 }));
  plainMedia = await readMediaFile(await makeClip({ seconds: 4, bFrames: 0 }));
});

const TEMPLATE = 'recorder.fileTemplate={streamName}-{startTime}-{endTime}';

async function durationOf(path: string): Promise<number> {
  return Number((await ffprobe(path)).format.duration);
}

/** Publishes `seconds` of the clip at 4x real time and ends the stream. */
async function publish(spool: Parameters<typeof publishFile>[0], name: string, seconds = 10, from = media) {
  const publisher = await publishFile(spool, from, { name, seconds, speed: 4 });
  await publisher.done;
  await publisher.stop();
}

describe('rotation', () => {
  test('record_rotation=2 on a 10 s stream: 5 ± 1 numbered parts, clean, contiguous, adding up to the stream', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'rotation'],
      sets: [TEMPLATE, 'rotation.recordRotation=2'],
    });
    let keyframeRequests = 0;
    let filesOfSession: readonly string[] | undefined;
    try {
      const publisher = await publishFile(s.spool.bus, media, { name: 'rot', seconds: 10, speed: 4 });
      publisher.stream.onKeyframeRequest(() => keyframeRequests++);
      await publisher.done;
      await publisher.stop();
      // Once unpublished, the session's files are known (what a publisher's getRecordInfo shows).
      const recorder = s.spool.service(RecorderServiceToken);
      filesOfSession = recorder.filesOf(publisher.stream.mediaSessionId).map((f) => f.fileName);
    } finally {
      await s.stop();
    }
    const parts = [...s.finished].sort((a, b) => (a.part ?? 0) - (b.part ?? 0));
    assert.ok(parts.length >= 4 && parts.length <= 6, `${parts.length} parts`);
    assert.deepEqual([...filesOfSession].sort(), parts.map((p) => p.fileName).sort());
    assert.deepEqual(
      parts.map((p) => p.part),
      parts.map((_, i) => i + 1),
    );
    let total = 0;
    let audioTotal = 0;
    let previousEnd: number | undefined;
    for (const part of parts) {
      const named = /^rot-(\d+)-(\d+)_(\d+)\.mp4$/.exec(part.fileName);
      assert.ok(named, `named by the template with the part number: ${part.fileName}`);
      assert.equal(Number(named[3]), part.part);
      assert.equal(await decodeErrors(part.filePath), '', `${part.fileName} decodes cleanly`);
      const probe = await ffprobe(part.filePath);
      total += Number(probe.format.duration);
      audioTotal += Number(probe.streams.find((st) => st.codec_type === 'audio')?.duration);
      const [start, end] = [Number(named[1]), Number(named[2])];
      if (previousEnd !== undefined) {
        // {endTime} is the last frame's time: the next part starts one frame (33 ms at 30 fps) later.
        const gap = start - previousEnd;
        assert.ok(gap >= 0 && gap <= 34, `part ${part.part} starts ${gap} ms after the previous one ends`);
      }
      previousEnd = end;
    }
    assert.ok(Math.abs(total - 10) <= 0.3, `parts add up to ${total.toFixed(2)} s`);
    // Audio split between parts by presentation time: nothing lost or doubled beyond one AAC frame a part.
    assert.ok(
      Math.abs(audioTotal - 10) <= (parts.length * 1024) / 44100,
      `audio adds up to ${audioTotal.toFixed(3)} s`,
    );
    assert.ok(parts.every((p, i) => p.reason === (i === parts.length - 1 ? 'unpublished' : 'rotation')));
    // Ahead of every split the publisher is asked for a keyframe (WebRTC answers with one at once).
    assert.ok(keyframeRequests >= parts.length - 1, `${keyframeRequests} keyframe requests`);
  });

  test('record_rotation=1M: every part is at most 1 MB plus one GOP', async () => {
    const gopBytes = maxGopBytes(media);
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'rotation'],
      sets: [TEMPLATE, 'rotation.recordRotation=1M'],
    });
    try {
      await publish(s.spool.bus, 'size', 20);
    } finally {
      await s.stop();
    }
    assert.ok(s.finished.length >= 2, `${s.finished.length} parts`);
    for (const part of s.finished) {
      assert.ok(
        part.sizeBytes <= 1024 * 1024 + gopBytes + 64 * 1024,
        `${part.fileName}: ${part.sizeBytes} bytes (GOP ${gopBytes})`,
      );
      assert.equal(await decodeErrors(part.filePath), '');
    }
  });

  test('record_rotation_index_enabled=false: parts are named by the template alone', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'rotation'],
      sets: [TEMPLATE, 'rotation.recordRotation=3', 'rotation.indexEnabled=false'],
    });
    try {
      await publish(s.spool.bus, 'plain', 7);
    } finally {
      await s.stop();
    }
    assert.ok(s.finished.length >= 2);
    for (const part of s.finished) assert.match(part.fileName, /^plain-\d+-\d+\.mp4$/);
  });

  test('without the rotation plugin a recording is one file whatever record_rotation says', async () => {
    const s = await startSpool(tmp, { plugins: ['recorder', 'writer-mp4'], sets: [TEMPLATE] });
    try {
      await publish(s.spool.bus, 'whole', 5);
    } finally {
      await s.stop();
    }
    assert.equal(s.finished.length, 1);
    assert.match(s.finished[0]!.fileName, /^whole-\d+-\d+\.mp4$/);
  });
});

describe('disk-guard', () => {
  test('below file_recorder_min_space nothing records; above it works; raised mid-recording, it stops playable and the hook runs', async () => {
    const hookOut = join(tmp.path, 'hook-ran.txt');
    const hook = tmp.file('hook.sh', `#!/bin/sh\nprintf '%s\\n' "$2" >> '${hookOut}'\n`);
    chmodSync(hook, 0o755);
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'disk-guard', 'hook-scripts'],
      sets: [
        'disk-guard.minSpace=100000000g',
        'disk-guard.checkIntervalMs=100',
        `hook-scripts.onRecordHookScript=${hook}`,
      ],
    });
    try {
      await publish(s.spool.bus, 'nospace', 2);
      assert.equal(s.finished.length, 0, 'nothing recorded');
      assert.ok(s.log.messages().some((m) => m.startsWith('Not enough available disk space')));

      const guard = s.spool.service(DiskGuardToken);
      guard.minSpaceBytes = 1024 * 1024;
      await publish(s.spool.bus, 'space', 2);
      assert.equal(s.finished.length, 1, 'recorded once there is space');

      const publisher = await publishFile(s.spool.bus, media, { name: 'filling', seconds: 60, speed: 1 });
      await waitFor('the recording to start', () =>
        s.log.messages().find((m) => m.startsWith('recording "filling"')),
      );
      await new Promise((done) => setTimeout(done, 1500));
      guard.minSpaceBytes = 100_000_000 * 1024 ** 3;
      const file = await waitFor('the recording to stop', () =>
        s.finished.find((f) => f.streamName === 'filling'),
      );
      assert.equal(file.reason, 'disk-space');
      assert.equal(await decodeErrors(file.filePath), '');
      assert.ok((await durationOf(file.filePath)) >= 1);
      assert.ok(!publisher.stream.ended, 'the stream goes on; only its recording stopped');
      await publisher.stop();
      await waitFor('the hook script', () =>
        existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes(file.filePath) ? true : undefined,
      );
    } finally {
      await s.stop();
    }
  });
});

describe('error-policy', () => {
  test('an injected write error skips frames until the next keyframe; two errors do not stop the recording', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'error-policy'],
      modules: { 'faulty-writer': faultyWriter },
      sets: ['faulty-writer.failAt=45,100'],
    });
    try {
      await publish(s.spool.bus, 'faulty', 6, plainMedia);
    } finally {
      await s.stop();
    }
    assert.equal(s.finished.length, 1);
    const file = s.finished[0]!;
    assert.equal(file.reason, 'unpublished');
    assert.equal(await decodeErrors(file.filePath), '', 'the skipped frames leave no broken references');
    const frames = await videoFrameCount(file.filePath);
    // 180 frames sent; frame 45 fails and 46..59 wait for the keyframe at 60; 100 fails, 101..119 wait for 120.
    assert.equal(frames, 180 - 15 - 20, `${frames} video frames`);
  });

  test('file_recorder_max_errors_per_interval errors within the interval stop the recording with a playable file', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'error-policy'],
      modules: { 'faulty-writer': faultyWriter },
      sets: ['faulty-writer.failAt=40,70,100'],
    });
    try {
      await publish(s.spool.bus, 'broken', 8, plainMedia);
    } finally {
      await s.stop();
    }
    assert.equal(s.finished.length, 1);
    const file = s.finished[0]!;
    assert.equal(file.reason, 'errors');
    assert.equal(await decodeErrors(file.filePath), '');
    const duration = await durationOf(file.filePath);
    assert.ok(duration < 4, `stopped at the third error (${duration} s)`);
    assert.ok(s.log.messages().some((m) => /stopped: 3 errors within 60 min/.test(m)));
  });
});

/** Largest sum of frame sizes from one keyframe to the next. */
function maxGopBytes(file: MediaFile): number {
  let max = 0;
  let current = 0;
  for (const frame of file.video!.frames) {
    if (frame.keyframe) current = 0;
    current += frame.data.byteLength;
    max = Math.max(max, current);
  }
  return max;
}

async function videoFrameCount(path: string): Promise<number> {
  const probe = await ffprobe(path);
  const video = probe.streams.find((s) => s.codec_type === 'video') as { nb_frames?: string } | undefined;
  return Number(video?.nb_frames);
}

describe('record_stop_timeout', () => {
  test('unpublish waits at most record_stop_timeout for finalization, which finishes in the background', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder'],
      modules: { 'faulty-writer': faultyWriter },
      sets: ['recorder.recordStopTimeout=1', 'faulty-writer.finalizeDelayMs=4000'],
    });
    try {
      const publisher = await publishFile(s.spool.bus, media, { name: 'slow', seconds: 3, speed: 4 });
      await publisher.done;
      const stoppedAt = Date.now();
      await publisher.stop();
      const unpublishMs = Date.now() - stoppedAt;
      assert.ok(unpublishMs >= 900 && unpublishMs < 3000, `reported unpublished after ${unpublishMs} ms`);
      assert.equal(s.finished.length, 0, 'still finalizing');
      assert.ok(s.log.messages().some((m) => m.includes('record_stop_timeout=1 s')));
      const file = await waitFor('the finalized file', () => s.finished[0], 15_000);
      assert.equal(await decodeErrors(file.filePath), '');
      assert.ok(Math.abs((await durationOf(file.filePath)) - 3) <= 0.3);
    } finally {
      await s.stop();
    }
  });
});
