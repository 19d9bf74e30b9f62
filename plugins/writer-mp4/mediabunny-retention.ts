/**
 * Workaround for mediabunny 1.61's fragmented MP4 muxer keeping the metadata of every sample it has written
 * (~140 bytes per sample, ~36 MB per hour of 30 fps video + 44.1 kHz AAC) in `finalizedChunks`, only to write
 * the `mfra` index at the end, which reads nothing but each chunk's first sample. After each fragment we cut
 * older chunks down to their first sample. This reaches into mediabunny internals: every access is
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

/** Returns a function to call after each fragment; it trims the sample lists of chunks already written. */
export function createRetentionTrimmer(output: Output): () => void {
  let trimmedUpTo = 0;
  return () => {
    const muxer = muxerOf(output);
    if (!muxer) return;
    const chunks = muxer.finalizedChunks;
    for (; trimmedUpTo < chunks.length; trimmedUpTo++) {
      const chunk = chunks[trimmedUpTo];
      if (chunk && chunk.samples.length > 1) chunk.samples.length = 1;
    }
  };
}
