/**
 * Issue 5 acceptance: rotation by time and size, part numbering, the disk-space guard and the error
 * policy, on real MP4 files judged by ffmpeg/ffprobe. Streams come from a media file published on the
 * bus faster than real time (rotation and timing follow media time, not the wall clock).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from '../core/index.js';
import { DiskGuardToken } from '../plugins/disk-guard/api.js';
import { RecorderServiceToken } from '../plugins/recorder/api.js';
import { publishFile } from './helpers/file-publisher.js';
import { AAC_FRAME_SAMPLES, makeClip, readMediaFile, type MediaFile } from './helpers/media-file.js';
import { decodeErrors, ffprobe, probePackets } from './helpers/media-tools.js';
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
      if (part.reason === 'rotation') {
        // Keyframes every 1 s: the one at exactly 2 s into the part starts the next part (not the one after).
        const videoS = Number(probe.streams.find((st) => st.codec_type === 'video')?.duration);
        assert.ok(Math.abs(videoS - 2) <= 0.05, `part ${part.part} lasts ${videoS} s (limit 2 s, GOP 1 s)`);
      }
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

describe('record_audio_buffer_max_size', () => {
  /**
   * A WebRTC-like stream by hand, from the clip's real frames: audio from stream time 0, video from
   * 1 s, and the audio travelling 1 s ahead of the video. Before the first keyframe (video at 1 s)
   * arrive the audio packets presented up to 2 s: those before 1 s precede the picture, the ones
   * from 1 s to 2 s belong with it.
   */
  function leadingAudioStream(): { frames: Frame[]; keyframePts: number; sentBeforeKeyframe: number[] } {
    const video = plainMedia.video!.frames.map((f) => ({ ...f, pts: f.pts + 90000, dts: f.dts + 90000 }));
    const source = plainMedia.audio!.frames;
    const audio = Array.from({ length: Math.floor((5 * 44100) / AAC_FRAME_SAMPLES) }, (_, k) => ({
      ...source[k % source.length]!,
      pts: k * AAC_FRAME_SAMPLES,
      dts: k * AAC_FRAME_SAMPLES,
    }));
    const sendS = (f: Frame) => (f.trackId === video[0]!.trackId ? f.dts / 90000 : f.dts / 44100 - 1);
    const frames = [...video, ...audio].sort((a, b) => sendS(a) - sendS(b));
    const keyframeAt = frames.findIndex((f) => f.keyframe && f.trackId === video[0]!.trackId);
    const sentBeforeKeyframe = frames.slice(0, keyframeAt).map((f) => f.pts);
    return { frames, keyframePts: video[0]!.pts, sentBeforeKeyframe };
  }

  async function recordLeadingAudio(limit: number) {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4'],
      sets: [TEMPLATE, `recorder.recordAudioBufferMaxSize=${limit}`],
    });
    try {
      const stream = await s.spool.bus.publish({
        name: `lead${limit}`,
        login: '',
        source: 'test',
        record: true,
        tracks: [plainMedia.video!.track, plainMedia.audio!.track],
        query: {},
      });
      for (const frame of leadingAudioStream().frames) stream.writeFrame({ ...frame, arrivalMs: Date.now() });
      await stream.end('publisher stopped');
    } finally {
      await s.stop();
    }
    assert.equal(s.finished.length, 1);
    const file = s.finished[0]!;
    assert.equal(await decodeErrors(file.filePath), '');
    const packets = await probePackets(file.filePath);
    const videoStart = Math.min(...packets.filter((p) => p.codecType === 'video').map((p) => p.ptsTime));
    const audio = packets.filter((p) => p.codecType === 'audio');
    return { audioPackets: audio.length, audioStartS: Math.min(...audio.map((p) => p.ptsTime)) - videoStart };
  }

  test('=20: of the audio sent before the first keyframe only the last 20 packets are kept', async () => {
    const { audioPackets, audioStartS } = await recordLeadingAudio(20);
    const { frames, sentBeforeKeyframe, keyframePts } = leadingAudioStream();
    const audioSent = frames.filter((f) => f.trackId === plainMedia.audio!.track.id).map((f) => f.pts);
    const heldAudio = audioSent.filter((pts) => sentBeforeKeyframe.includes(pts));
    assert.ok(heldAudio.length > 80, `${heldAudio.length} audio packets arrive before the keyframe`);
    const keyframeSamples = (keyframePts / 90000) * 44100;
    // The last 20 of those (all presented after the keyframe) and everything after the keyframe.
    const expected = heldAudio.slice(-20).length + (audioSent.length - heldAudio.length);
    assert.equal(audioPackets, expected, `${audioPackets} audio packets in the file`);
    const firstKept = heldAudio.at(-20)!;
    assert.ok(firstKept > keyframeSamples);
    const expectedStartS = (firstKept - keyframeSamples) / 44100;
    assert.ok(
      Math.abs(audioStartS - expectedStartS) < 0.002,
      `audio starts ${audioStartS.toFixed(4)} s after the video (expected ${expectedStartS.toFixed(4)})`,
    );
  });

  test('large: the audio sent before the first keyframe and presented after it is kept; both tracks start together', async () => {
    const { audioPackets, audioStartS } = await recordLeadingAudio(1000);
    const { frames, keyframePts } = leadingAudioStream();
    const keyframeSamples = (keyframePts / 90000) * 44100;
    const presentedFromKeyframe = frames.filter(
      (f) => f.trackId === plainMedia.audio!.track.id && f.pts >= keyframeSamples,
    ).length;
    assert.equal(audioPackets, presentedFromKeyframe, 'every audio packet presented from the keyframe on');
    assert.ok(
      audioStartS >= 0 && audioStartS < AAC_FRAME_SAMPLES / 44100,
      `audio starts ${(audioStartS * 1000).toFixed(1)} ms after the video (within one AAC frame)`,
    );
  });
});

describe('disk-guard before each part', () => {
  test('free space short exactly when a split comes: the recording ends at that split, earlier parts playable, hooks run', async () => {
    const hookOut = join(tmp.path, 'part-hook-ran.txt');
    const hook = tmp.file('part-hook.sh', `#!/bin/sh\nprintf '%s\\n' "$2" >> '${hookOut}'\n`);
    chmodSync(hook, 0o755);
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'rotation', 'disk-guard', 'hook-scripts'],
      sets: [
        TEMPLATE,
        'rotation.recordRotation=2',
        'disk-guard.minSpace=1m',
        // Only the check before each part can see the change: the periodic one never runs here.
        'disk-guard.checkIntervalMs=600000',
        `hook-scripts.onRecordHookScript=${hook}`,
      ],
    });
    let streamEnded: boolean | undefined;
    try {
      const guard = s.spool.service(DiskGuardToken);
      const publisher = await publishFile(s.spool.bus, media, { name: 'cut', seconds: 10, speed: 4 });
      // The recorder asks for a keyframe keyframeLeadMs (1 s) before each split: at the second
      // request part 2 is about to end, and the disk "fills up".
      let requests = 0;
      publisher.stream.onKeyframeRequest(() => {
        if (++requests === 2) guard.minSpaceBytes = 100_000_000 * 1024 ** 3;
      });
      await waitFor('the recording to stop', () => s.finished.find((f) => f.reason === 'disk-space'), 20_000);
      streamEnded = publisher.stream.ended;
      await publisher.stop();
    } finally {
      await s.stop();
    }
    assert.equal(streamEnded, false, 'the stream goes on; only its recording stopped');
    const parts = [...s.finished].sort((a, b) => (a.part ?? 0) - (b.part ?? 0));
    assert.deepEqual(
      parts.map((p) => [p.part, p.reason]),
      [
        [1, 'rotation'],
        [2, 'disk-space'],
      ],
    );
    assert.ok(s.log.messages().some((m) => m.startsWith('Not enough available disk space')));
    for (const part of parts) {
      assert.equal(await decodeErrors(part.filePath), '', `${part.fileName} decodes cleanly`);
      assert.match(part.fileName, new RegExp(`^cut-\\d+-\\d+_${part.part}\\.mp4$`));
    }
    // Part 2 ends at the refused split: the keyframe there and what follows are not in it, so it holds
    // whole GOPs (1 s each) and its last frame is one frame before a keyframe.
    const times = parts.map((p) => /^cut-(\d+)-(\d+)_/.exec(p.fileName)!.slice(1).map(Number));
    const [[, end1], [start2, end2]] = times as [[number, number], [number, number]];
    assert.ok(start2 - end1 >= 0 && start2 - end1 <= 34, `part 2 starts ${start2 - end1} ms after part 1`);
    const probe = await ffprobe(parts[1]!.filePath);
    const videoS = Number(probe.streams.find((st) => st.codec_type === 'video')?.duration);
    const audioS = Number(probe.streams.find((st) => st.codec_type === 'audio')?.duration);
    assert.ok(videoS >= 1.98 && Math.abs(videoS - Math.round(videoS)) < 0.02, `part 2 video: ${videoS} s`);
    // {endTime}: the last frame (video or audio) presented before the split at start + duration.
    const splitMs = start2 + videoS * 1000;
    assert.ok(end2 < splitMs && end2 >= splitMs - 34, `part 2: ${start2}-${end2} ms, split at ${splitMs}`);
    assert.ok(Math.abs(audioS - videoS) <= AAC_FRAME_SAMPLES / 44100, `part 2 audio: ${audioS} s`);
    await waitFor('the hook script for both parts', () => {
      const ran = existsSync(hookOut) ? readFileSync(hookOut, 'utf8') : '';
      return parts.every((p) => ran.includes(p.filePath)) ? true : undefined;
    });
  });
});

describe('multi-stream recordings', () => {
  test('are never rotated: rotation=1 on a 4 s stream started as multi-stream is one file', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-mp4', 'rotation'],
      sets: [TEMPLATE, 'rotation.recordRotation=1'],
    });
    try {
      const recorder = s.spool.service(RecorderServiceToken);
      for (const [name, multiStream] of [
        ['mixed', true],
        ['single', false],
      ] as const) {
        const publisher = await publishFile(s.spool.bus, media, {
          name,
          seconds: 4,
          speed: 2,
          record: false,
        });
        await recorder.start(publisher.stream.mediaSessionId, { rotation: '1', multiStream });
        await publisher.done;
        await publisher.stop();
      }
    } finally {
      await s.stop();
    }
    const mixed = s.finished.filter((f) => f.streamName === 'mixed');
    assert.equal(mixed.length, 1, mixed.map((f) => f.fileName).join(', '));
    assert.match(mixed[0]!.fileName, /^mixed-\d+-\d+\.mp4$/, 'no part number');
    assert.equal(mixed[0]!.reason, 'unpublished');
    assert.ok((await durationOf(mixed[0]!.filePath)) >= 2.9, 'the whole recording in one file');
    assert.ok(s.log.messages().some((m) => /"mixed" is multi-stream: not rotated/.test(m)));
    // The same start without the flag rotates: the flag is what keeps the file whole.
    assert.ok(s.finished.filter((f) => f.streamName === 'single').length >= 2);
  });
});
