import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { Hooks, StreamBus, type AudioTrack, type Frame, type VideoTrack } from '../../core/index.js';
import { createKernelMetrics } from '../../core/metrics.js';
import { parseFlvTag, type FlvPacket } from '../../lib/flv/index.js';
import { FFMPEG_ASC, FFMPEG_AVCC } from '../../test/helpers/rtmp-ingest.js';
import type { RtmpPlayConnection } from '../ingest-rtmp/api.js';
import { RtmpPlayer } from './player.js';

const log = pino({ level: 'silent' });
const VIDEO: VideoTrack = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: FFMPEG_AVCC };
const AUDIO: AudioTrack = {
  id: 2,
  kind: 'audio',
  codec: 'aac',
  timescale: 44100,
  sampleRate: 44100,
  channels: 2,
  config: FFMPEG_ASC,
};

/** Records what a player sends; `buffered` stands for the socket's writableLength. */
class FakeConnection implements RtmpPlayConnection {
  readonly sent: Array<{ type: number; timestampMs: number; packet: FlvPacket }> = [];
  readonly statuses: string[] = [];
  buffered = 0;
  closed = false;
  private closeListeners: Array<() => void> = [];
  private drainListeners: Array<() => void> = [];

  get bufferedBytes(): number {
    return this.buffered;
  }
  start(): void {
    this.statuses.push('start');
  }
  send(type: number, timestampMs: number, body: Buffer): void {
    this.sent.push({ type, timestampMs, packet: parseFlvTag(type, timestampMs, body) });
  }
  drained(): Promise<void> {
    return new Promise((resolve) => this.drainListeners.push(resolve));
  }
  drain(): void {
    this.buffered = 0;
    for (const listener of this.drainListeners.splice(0)) listener();
  }
  refuse(code: string): void {
    this.statuses.push(code);
    this.closed = true;
  }
  finish(description: string): void {
    if (this.closed) return;
    this.statuses.push(`finish: ${description}`);
    this.closed = true;
  }
  destroy(): void {
    this.statuses.push('destroyed');
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
  kinds(): string[] {
    return this.sent.map(({ packet }) => packet.kind);
  }
}

function setup() {
  const bus = new StreamBus(new Hooks(log), log, createKernelMetrics(), {
    playerQueueFrames: 8,
    recorderQueueFrames: 8,
  });
  return bus;
}

const video = (ms: number, keyframe: boolean, ctsMs = 0): Frame => ({
  trackId: 1,
  data: Uint8Array.of(0, 0, 0, 1, keyframe ? 0x65 : 0x41),
  dts: ms * 90,
  pts: (ms + ctsMs) * 90,
  keyframe,
  arrivalMs: 0,
});
const audio = (ms: number): Frame => ({
  trackId: 2,
  data: Uint8Array.of(0x21),
  dts: Math.round((ms * 44100) / 1000),
  pts: Math.round((ms * 44100) / 1000),
  keyframe: true,
  arrivalMs: 0,
});

function playerOf(
  stream: Awaited<ReturnType<StreamBus['publish']>>,
  connection: FakeConnection,
  gop?: Frame[],
) {
  return new RtmpPlayer({ stream, video: VIDEO, audio: { stream, track: AUDIO } }, connection, gop, {
    name: 'test',
    log,
    bufferBytes: 1000,
    stallTimeoutMs: 50,
    tags: new WeakMap(),
  });
}

describe('RTMP player', () => {
  test('metadata and sequence headers first, then from a keyframe on; audio waits for it; ms timestamps from 0', async () => {
    const bus = setup();
    const stream = await bus.publish({
      name: 's',
      login: '',
      source: 'test',
      record: false,
      query: {},
      tracks: [VIDEO, AUDIO],
    });
    const connection = new FakeConnection();
    const done = playerOf(stream, connection).run();
    stream.writeFrame(audio(980));
    stream.writeFrame(video(990, false));
    stream.writeFrame(video(1000, true, 67));
    stream.writeFrame(audio(1003));
    stream.writeFrame(video(1033, false, -33));
    await nextTurn();
    assert.deepEqual(connection.kinds(), [
      'metadata',
      'avc-config',
      'aac-config',
      'avc-nalu',
      'aac-raw',
      'avc-nalu',
    ]);
    const [, , , key, sound, inter] = connection.sent;
    assert.deepEqual([key!.timestampMs, sound!.timestampMs, inter!.timestampMs], [0, 3, 33]);
    assert.equal(key!.packet.kind === 'avc-nalu' && key!.packet.ctsMs, 67);
    assert.equal(inter!.packet.kind === 'avc-nalu' && inter!.packet.ctsMs, -33, 'signed composition time');

    const newConfig = Buffer.from(FFMPEG_AVCC);
    newConfig[3] = 0x1f;
    stream.setTrack({ ...VIDEO, config: newConfig });
    stream.setTrack({ ...VIDEO, config: newConfig });
    await nextTurn();
    assert.equal(
      connection.kinds().filter((kind) => kind === 'avc-config').length,
      2,
      'a new sequence header, once',
    );

    await stream.end('publisher disconnected');
    assert.equal(await done, 'stream "s" ended: publisher disconnected');
    assert.deepEqual(connection.statuses, ['start', 'finish: stream "s" ended: publisher disconnected']);
  });

  test('a cached GOP is sent before the live frames, without a gap or a repeat', async () => {
    const bus = setup();
    const stream = await bus.publish({
      name: 's',
      login: '',
      source: 'test',
      record: false,
      query: {},
      tracks: [VIDEO, AUDIO],
    });
    const gop = [video(2000, true), audio(2010), video(2033, false)];
    const connection = new FakeConnection();
    const done = playerOf(stream, connection, gop).run();
    stream.writeFrame(video(2066, false));
    await nextTurn();
    assert.deepEqual(
      connection.sent.filter(({ type }) => type === 9).map(({ timestampMs }) => timestampMs),
      [0, 0, 33, 66],
      'sequence header, then the GOP and the live frame',
    );
    await stream.end('over');
    await done;
  });

  test('a player whose socket stays above the bound is cut; one that drains goes on', async () => {
    const bus = setup();
    const stream = await bus.publish({
      name: 's',
      login: '',
      source: 'test',
      record: false,
      query: {},
      tracks: [VIDEO, AUDIO],
    });
    const connection = new FakeConnection();
    const done = playerOf(stream, connection).run();
    stream.writeFrame(video(0, true));
    await nextTurn();
    connection.buffered = 5000;
    stream.writeFrame(video(33, false));
    await nextTurn();
    connection.drain();
    await nextTurn();
    assert.equal(
      connection.kinds().filter((kind) => kind === 'avc-nalu').length,
      2,
      'resumed after draining',
    );
    connection.buffered = 5000;
    for (let i = 2; i < 40; i++) stream.writeFrame(video(i * 33, false));
    assert.match(await done, /player did not read: 5000 bytes unsent for 50 ms \(bound 1000\)/);
    assert.ok(connection.statuses.includes('destroyed'));
    assert.equal(stream.subscriberCount, 0, 'its subscription is closed');
  });
});
