/**
 * The general, slower cut: mediabunny's Conversion (copy mode, edit list, moov first). Used for the MP4s
 * the native cutter declines (several sample descriptions in a track, compact sample sizes), and as the
 * benchmark's baseline. Loaded only then: loading and compiling mediabunny costs a new worker thread most
 * of a second.
 */
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
import type { CutOptions, CutResult } from './cut-mp4.js';

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

/** Writes the cut of `source` to `outputPath` (sizeBytes is left 0: the caller knows the file). */
export async function mediabunnyCut(
  source: string,
  outputPath: string,
  options: CutOptions,
): Promise<CutResult> {
  const input = new Input({ source: new FilePathSource(source), formats: [MP4] });
  try {
    return await writeCut(input, outputPath, options);
  } finally {
    input.dispose();
  }
}
