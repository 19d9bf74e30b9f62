/**
 * Finishes an MPEG-TS recording (complete, or cut short by a crash): copies it to its final path
 * keeping only whole packets and whole frames, and measures its duration from PES timestamps.
 * Runs on the recorder's worker pool: imports nothing but node:fs and the TS helpers. Reads only
 * the head and the tail of the file, however long the recording.
 */
import { constants } from 'node:fs';
import { copyFile, open, rm, type FileHandle } from 'node:fs/promises';
import { parsePackets, pesStart, type PesStart, type TsPacket } from './ts-scan.js';
import { PACKET_BYTES, TIMESTAMP_MODULO, wrapTimestamp } from './ts-packets.js';

export interface TsFinalizeResult {
  readonly durationMs: number;
  readonly sizeBytes: number;
}

/** Enough for the first frames of every track (a 4K keyframe is about 1 MB: the window then grows). */
const HEAD_BYTES = 512 * 1024;
/** Enough for the last frames of every track at any realistic bitrate. */
const TAIL_BYTES = 4 * 1024 * 1024;
/** Windows stop growing here: a recording of ours has frames starting far more often. */
const MAX_WINDOW_BYTES = 64 * 1024 * 1024;

export async function finalizeMpegTs(
  tmpPath: string,
  finalPath: string,
  _options: unknown = {},
): Promise<TsFinalizeResult> {
  let keepBytes: number;
  let durationMs: number;
  const input = await open(tmpPath, 'r');
  try {
    const size = (await input.stat()).size;
    if (size < PACKET_BYTES) throw new Error(`no complete 188-byte packet (${size} bytes)`);
    const wholeBytes = size - (size % PACKET_BYTES);
    // The head first: a file that is not MPEG-TS at all fails on its first byte.
    const head = await pesStartsNear(input, wholeBytes, 'start');
    const tail = await pesStartsNear(input, wholeBytes, 'end');
    keepBytes = completeLength(tail, wholeBytes, await readAt(input, wholeBytes, size - wholeBytes));
    const timed = (start: PesStart): boolean => start.offset < keepBytes && start.pts !== undefined;
    const first = firstPts(head.starts.filter(timed));
    const last = tail.starts.filter(timed);
    if (last.length === 0 || first === undefined) throw new Error('no complete frame');
    durationMs = Math.round(presentationSpan(last, first) / 90);
  } catch (error) {
    throw new Error(`cannot finalize MPEG-TS recording ${tmpPath}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await input.close();
  }
  await copyPrefix(tmpPath, finalPath, keepBytes);
  return { durationMs, sizeBytes: keepBytes };
}

interface ScanWindow {
  readonly starts: PesStart[];
  /** Every packet of the window: completeLength counts the last PES's payload bytes in them. */
  readonly packets: TsPacket[];
}

/**
 * PES starts in a window at the start or the end of the first `length` bytes. The window doubles
 * until it holds two PES starts (so one remains if the last proves unfinished) or covers the file.
 */
async function pesStartsNear(input: FileHandle, length: number, where: 'start' | 'end'): Promise<ScanWindow> {
  for (let window = where === 'start' ? HEAD_BYTES : TAIL_BYTES; ; window *= 2) {
    const bytes = Math.min(length, window - (window % PACKET_BYTES));
    const from = where === 'start' ? 0 : length - bytes;
    const packets = parsePackets(await readAt(input, from, bytes), from);
    const starts = packets.map(pesStart).filter((start) => start !== undefined);
    if (starts.length >= 2 || bytes === length || window >= MAX_WINDOW_BYTES) return { starts, packets };
  }
}

/**
 * Bytes to keep: whole packets, without the last PES when a crash cut it short. A PES whose length
 * is declared (audio, most video frames) shows it by missing bytes; an unbounded one is taken as
 * cut when the file ends inside a packet that does not start a new PES or section.
 */
function completeLength(tail: ScanWindow, wholeBytes: number, partial: Uint8Array): number {
  const last = tail.starts.at(-1);
  if (last === undefined) return wholeBytes;
  let received = 0;
  for (const packet of tail.packets) {
    if (packet.offset >= last.offset && packet.pid === last.pid) received += packet.payload.length;
  }
  const cutInsideUnit = partial.length > 0 && !(partial.length >= 2 && (partial[1]! & 0x40) !== 0);
  const complete = last.declaredBytes > 0 ? received >= 6 + last.declaredBytes : !cutInsideUnit;
  return complete ? wholeBytes : last.offset;
}

/**
 * The earliest PTS among the first frames. PTS wrap every 26.5 hours, so they are compared as
 * distances from the first frame in the file, within ±13 hours.
 */
function firstPts(starts: PesStart[]): number | undefined {
  const reference = starts[0]?.pts;
  if (reference === undefined) return undefined;
  let earliest = 0;
  for (const start of starts) {
    const distance = wrapTimestamp(start.pts! - reference);
    earliest = Math.min(earliest, distance >= TIMESTAMP_MODULO / 2 ? distance - TIMESTAMP_MODULO : distance);
  }
  return wrapTimestamp(reference + earliest);
}

/**
 * From `first` to the latest PTS plus one frame (the smallest PTS step of that PID), across PIDs:
 * the recording's length in 90 kHz ticks. Distances are taken forward on the wrapping clock, so a
 * recording over the wrap measures right; one longer than 26.5 hours measures short.
 */
function presentationSpan(starts: PesStart[], first: number): number {
  const byPid = new Map<number, number[]>();
  for (const start of starts) {
    const distance = wrapTimestamp(start.pts! - first);
    const values = byPid.get(start.pid);
    if (values === undefined) byPid.set(start.pid, [distance]);
    else values.push(distance);
  }
  let span = 0;
  for (const values of byPid.values()) {
    const sorted = [...new Set(values)].sort((a, b) => a - b);
    let step = Infinity;
    for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i]! - sorted[i - 1]!);
    span = Math.max(span, sorted.at(-1)! + (Number.isFinite(step) ? step : 0));
  }
  return span;
}

async function readAt(input: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await input.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`file ended at ${position + filled}, expected ${position + length}`);
    filled += bytesRead;
  }
  return buffer;
}

/** Copies the file (a reflink where the file system can) and cuts it to `length`; no output on error. */
async function copyPrefix(source: string, target: string, length: number): Promise<void> {
  try {
    await copyFile(source, target, constants.COPYFILE_FICLONE);
    const output = await open(target, 'r+');
    try {
      await output.truncate(length);
      await output.sync();
    } finally {
      await output.close();
    }
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  }
}
