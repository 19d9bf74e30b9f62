/**
 * Workaround for mediabunny 1.61's fragmented MP4 muxer keeping every chunk it has written, with the
 * metadata of every sample (~140 bytes per sample, ~36 MB per hour of 30 fps video + 44.1 kHz AAC), in
 * `finalizedChunks`, only to write the optional `mfra` random-access index at the end — which Spool's
 * finalizer never reads. After each fragment we keep only the newest chunk of each list, so memory and
 * the cost of this check stay constant however long the recording (the `mfra` then indexes the last
 * fragment only, which is valid). This reaches into mediabunny internals: every access is
 * shape-checked, and when the shape differs (another mediabunny version) it does nothing.
 */
import type { Output } from 'mediabunny';

interface RetainedChunk {
  samples: unknown[];
}
interface TrackDataShape {
  finalizedChunks: RetainedChunk[];
}
interface MuxerShape {
  isFragmented: boolean;
  isCmaf: boolean;
  trackDatas: TrackDataShape[];
  finalizedChunks: RetainedChunk[];
}

function isChunkList(value: unknown): value is RetainedChunk[] {
  return (
    Array.isArray(value) && value.every((chunk) => Array.isArray((chunk as Partial<RetainedChunk>)?.samples))
  );
}

function muxerOf(output: Output): MuxerShape | null {
  const muxer = (output as unknown as { _muxer?: Partial<MuxerShape> })._muxer;
  if (!muxer || muxer.isFragmented !== true || muxer.isCmaf !== false) return null;
  if (!Array.isArray(muxer.trackDatas) || !isChunkList(muxer.finalizedChunks)) return null;
  if (!muxer.trackDatas.every((track) => isChunkList(track?.finalizedChunks))) return null;
  return muxer as MuxerShape;
}

/** Returns a function to call after each fragment; it drops the chunks of fragments already written. */
export function createRetentionTrimmer(output: Output): () => void {
  const keepNewest = (chunks: RetainedChunk[]): void => {
    if (chunks.length > 1) chunks.splice(0, chunks.length - 1);
  };
  return () => {
    const muxer = muxerOf(output);
    if (!muxer) return;
    keepNewest(muxer.finalizedChunks);
    for (const track of muxer.trackDatas) keepNewest(track.finalizedChunks);
  };
}
