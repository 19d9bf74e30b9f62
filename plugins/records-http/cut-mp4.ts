/**
 * Cuts a time range out of an MP4 without re-encoding. Runs in a worker thread (the recorder's file-work
 * pool, or records-http's own): reading the sample tables of a long recording costs CPU.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  Conversion,
  EncodedPacketSink,
  FilePathSource,
  FilePathTarget,
  Input,
  MP4,
  Mp4OutputFormat,
  Output,
  type InputTrack,
} from 'mediabunny';
import { cutTempPath } from './cut-temp-path.js';

export interface CutOptions {
  readonly startS: number;
  /** Undefined = to the end of the recording. */
  readonly endS?: number;
}

export type CutResult =
  | {
      readonly ok: true;
      readonly sizeBytes: number;
      readonly sourceDurationS: number;
      /** Where the copied media starts in the source: the keyframe at or before startS. */
      readonly copiedFromS: number;
      /** Tracks left out of the cut (a codec MP4 cannot copy), with mediabunny's reason. */
      readonly discarded: readonly string[];
    }
  | { readonly ok: false; readonly reason: 'start-beyond-duration'; readonly sourceDurationS: number };

const OUTPUT_CHUNK_BYTES = 2 * 2 ** 20;

/** Packets added to each track's count: a margin for B-frames and encoder priming at the cut's edges. */
const PACKET_COUNT_MARGIN = 16;

/**
 * An upper bound of the packets of `track` the conversion copies: from a keyframe before startS to a
 * second past endS (frames in decode order reach past the end by their reordering delay); and where
 * the copy starts (the keyframe at or before startS).
 */
async function packetCountBound(
  track: InputTrack,
  startS: number,
  endS: number,
): Promise<{ count: number; fromS: number }> {
  const sink = new EncodedPacketSink(track);
  const options = { metadataOnly: true };
  const first = (await sink.getKeyPacket(startS, options)) ?? (await sink.getFirstPacket(options));
  if (first === null) return { count: 0, fromS: startS };
  // Counted from the keyframe before it: with open GOPs the copy may have to start there.
  const earlier = await sink.getKeyPacket(first.timestamp - 0.001, options);
  let count = 0;
  for await (const packet of sink.packets(earlier ?? first, undefined, options)) {
    if (packet.timestamp >= endS + 1) break;
    count++;
  }
  return { count: count + PACKET_COUNT_MARGIN, fromS: first.timestamp };
}

/**
 * moov first with bounded memory: mediabunny's 'reserve' fast start needs each track's packet count up
 * front, which Conversion does not pass; so the output's addVideoTrack / addAudioTrack get it added
 * (the sum over the input tracks of that kind — an upper bound is enough). 'in-memory' would hold the
 * whole cut in memory, however long.
 */
function reserveSpaceFor(output: Output, counts: { video: number; audio: number }): void {
  const addVideoTrack = output.addVideoTrack.bind(output);
  const addAudioTrack = output.addAudioTrack.bind(output);
  output.addVideoTrack = (source, metadata) =>
    addVideoTrack(source, { ...metadata, maximumPacketCount: counts.video });
  output.addAudioTrack = (source, metadata) =>
    addAudioTrack(source, { ...metadata, maximumPacketCount: counts.audio });
}

async function writeCut(input: Input, tmpPath: string, options: CutOptions): Promise<CutResult> {
  const sourceDurationS = await input.computeDuration();
  if (options.startS >= sourceDurationS) {
    return { ok: false, reason: 'start-beyond-duration', sourceDurationS };
  }
  const endS = Math.min(options.endS ?? sourceDurationS, sourceDurationS);
  const counts = { video: 0, audio: 0 };
  let copiedFromS = options.startS;
  for (const track of await input.getTracks()) {
    const bound = await packetCountBound(track, options.startS, endS);
    if (track.isVideoTrack()) counts.video += bound.count;
    else if (track.isAudioTrack()) counts.audio += bound.count;
    copiedFromS = Math.min(copiedFromS, bound.fromS);
  }
  const output = new Output({
    format: new Mp4OutputFormat({ fastStart: 'reserve' }),
    // The default 16 MiB write buffer costs ~20 ms to allocate and flush per cut; 2 MiB is as fast to write.
    target: new FilePathTarget(tmpPath, { chunkSize: OUTPUT_CHUNK_BYTES }),
  });
  reserveSpaceFor(output, counts);
  const conversion = await Conversion.init({
    input,
    output,
    trim: { start: options.startS, end: endS },
    // Copy only, never re-encode; start at the keyframe before `start` ('expand') and keep the
    // timeline exact (no shift): the muxer writes an edit list that hides the frames before it.
    copy: { mode: 'forced', boundaryPolicy: 'expand', shiftTolerance: 0 },
    showWarnings: false,
  });
  const discarded = conversion.discardedTracks.map(
    (d) => `${d.track.type} track ${d.track.number}: ${d.reason}`,
  );
  if (!conversion.isValid) throw new Error(`nothing in the file can be copied: ${discarded.join('; ')}`);
  await conversion.execute();
  return { ok: true, sizeBytes: 0, sourceDurationS, copiedFromS, discarded };
}

/**
 * Writes the part of the MP4 `source` between startS and endS to `target` (moov first), copying the
 * encoded media from the keyframe at or before startS. It is written under a hidden temp name beside
 * `target` and renamed into place, so `target` is either absent or complete. A start at or beyond the
 * source's duration writes nothing and is reported, not thrown.
 */
export async function cutMp4(source: string, target: string, options: CutOptions): Promise<CutResult> {
  await mkdir(dirname(target), { recursive: true });
  const tmpPath = cutTempPath(target);
  const input = new Input({ source: new FilePathSource(source), formats: [MP4] });
  try {
    const result = await writeCut(input, tmpPath, options);
    if (!result.ok) return result;
    await rename(tmpPath, target);
    return { ...result, sizeBytes: (await stat(target)).size };
  } finally {
    input.dispose();
    await rm(tmpPath, { force: true });
  }
}

/** The same, with one argument: the entry point of records-http's own worker pool (piscina `name`). */
export function cutMp4Task(task: {
  source: string;
  target: string;
  options: CutOptions;
}): Promise<CutResult> {
  return cutMp4(task.source, task.target, task.options);
}
