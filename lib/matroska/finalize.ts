/**
 * Turns a recording's live Matroska/WebM file (complete, or cut short by a crash) into the finished file:
 *
 *   EBML header | Segment: SeekHead, Info (with Duration), Tracks, Cues, Cluster …
 *
 * Cues come before the clusters, like an MP4's moov first: a player fetching the file over HTTP can seek
 * without reading its end. Cluster payloads are copied through a fixed buffer; memory is bounded by the
 * cluster and cue lists (see matroska-scan.ts), however long the recording. Runs on the recorder's worker
 * pool.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import {
  concat,
  ebmlHeader,
  element,
  elementOf,
  floatElement,
  idBytes,
  ID,
  sizeBytes,
  stringElement,
  uintElement,
} from './ebml.js';
import { FileWindow } from './ebml-reader.js';
import { scanMatroska, type MatroskaScan } from './matroska-scan.js';

export interface MatroskaFinalizeOptions {
  /** Size of the copy buffer. Default 4 MiB. */
  copyBufferBytes?: number;
}

export interface FinalizedMatroskaTrack {
  number: number;
  type: 'video' | 'audio' | 'other';
  codecId: string;
  blocks: number;
  startMs: number;
  /** From the track's first block to the end of its last one. */
  durationMs: number;
}

export interface MatroskaFinalizeResult {
  durationMs: number;
  sizeBytes: number;
  docType: string;
  tracks: FinalizedMatroskaTrack[];
  clusterCount: number;
  cuePointCount: number;
  /** The input ended inside an element (a crash): the torn tail was left out. */
  truncated: boolean;
}

/** Cluster ID + 8-byte size: every output cluster header has this length. */
const CLUSTER_HEADER_BYTES = 12;
const SEGMENT_HEADER_BYTES = 12;

export async function finalizeMatroska(
  tmpPath: string,
  finalPath: string,
  options: MatroskaFinalizeOptions = {},
): Promise<MatroskaFinalizeResult> {
  const input = await open(tmpPath, 'r');
  try {
    const file = new FileWindow(input, (await input.stat()).size);
    const scan = await scanMatroska(file, tmpPath);
    const msPerTick = scan.timestampScaleNs / 1e6;
    const durationTicks = Math.max(
      ...scan.tracks.map((t) => (t.blocks > 0 ? t.lastTicks + finite(t.stepTicks) : 0)),
    );
    const layout = planLayout(scan, durationTicks);
    await writeOutput(finalPath, input, scan, layout.front, options.copyBufferBytes ?? 4 * 2 ** 20);
    return {
      durationMs: durationTicks * msPerTick,
      sizeBytes: layout.sizeBytes,
      docType: scan.docType,
      tracks: scan.tracks
        .filter((track) => track.blocks > 0)
        .map((track) => ({
          number: track.number,
          type: track.type,
          codecId: track.codecId,
          blocks: track.blocks,
          startMs: track.firstTicks * msPerTick,
          durationMs: (track.lastTicks + finite(track.stepTicks) - track.firstTicks) * msPerTick,
        })),
      clusterCount: scan.clusters.length,
      cuePointCount: scan.cues.length,
      truncated: scan.truncated,
    };
  } finally {
    await input.close();
  }
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/**
 * Everything before the first cluster, and the file size. Positions in the SeekHead and Cues are written
 * with a fixed 8-byte width, so the sizes of these elements do not depend on the positions they hold:
 * measure with zeros, then build with the real values.
 */
function planLayout(scan: MatroskaScan, durationTicks: number): { front: Uint8Array[]; sizeBytes: number } {
  const info = element(
    ID.Info,
    uintElement(ID.TimestampScale, scan.timestampScaleNs),
    stringElement(ID.MuxingApp, 'Spool'),
    stringElement(ID.WritingApp, 'Spool'),
    floatElement(ID.Duration, durationTicks),
  );
  const seekHeadBytes = seekHead(0, 0, 0).length;
  const infoPosition = seekHeadBytes;
  const tracksPosition = infoPosition + info.length;
  const cuesPosition = tracksPosition + scan.tracksElement.length;
  const firstClusterPosition = cuesPosition + cues(scan, () => 0).length;
  // Segment-relative position of each output cluster: a fresh 12-byte header plus the copied payload.
  const clusterPositions = new Float64Array(scan.clusters.length);
  let position = firstClusterPosition;
  scan.clusters.forEach((cluster, i) => {
    clusterPositions[i] = position;
    position += CLUSTER_HEADER_BYTES + cluster.dataEnd - cluster.dataStart;
  });
  const segmentBytes = position;
  const header = ebmlHeader(scan.docType);
  const front = [
    header,
    idBytes(ID.Segment),
    sizeBytes(segmentBytes, 8),
    seekHead(infoPosition, tracksPosition, cuesPosition),
    info,
    scan.tracksElement,
    cues(scan, (cluster) => clusterPositions[cluster] ?? 0),
  ];
  return { front, sizeBytes: header.length + SEGMENT_HEADER_BYTES + segmentBytes };
}

function seekHead(infoPosition: number, tracksPosition: number, cuesPosition: number): Uint8Array {
  const seek = (id: number, position: number): Uint8Array =>
    element(ID.Seek, element(ID.SeekID, idBytes(id)), uintElement(ID.SeekPosition, position, 8));
  return element(
    ID.SeekHead,
    seek(ID.Info, infoPosition),
    seek(ID.Tracks, tracksPosition),
    seek(ID.Cues, cuesPosition),
  );
}

function cues(scan: MatroskaScan, clusterPosition: (cluster: number) => number): Uint8Array {
  return elementOf(
    ID.Cues,
    scan.cues.map((cue) =>
      element(
        ID.CuePoint,
        uintElement(ID.CueTime, cue.ticks),
        element(
          ID.CueTrackPositions,
          uintElement(ID.CueTrack, cue.track),
          uintElement(ID.CueClusterPosition, clusterPosition(cue.cluster), 8),
          uintElement(ID.CueRelativePosition, cue.relativePosition),
        ),
      ),
    ),
  );
}

/** Writes the front elements, then every cluster with a fresh header and its payload copied; removes the output on error. */
async function writeOutput(
  outputPath: string,
  input: FileHandle,
  scan: MatroskaScan,
  front: Uint8Array[],
  copyBufferBytes: number,
): Promise<void> {
  const output = await open(outputPath, 'w');
  try {
    let position = await writeAll(output, concat(front), 0);
    const buffer = new Uint8Array(copyBufferBytes);
    for (const cluster of scan.clusters) {
      const payloadBytes = cluster.dataEnd - cluster.dataStart;
      position += await writeAll(output, concat([idBytes(ID.Cluster), sizeBytes(payloadBytes, 8)]), position);
      for (let at = cluster.dataStart; at < cluster.dataEnd;) {
        const length = Math.min(buffer.length, cluster.dataEnd - at);
        const { bytesRead } = await input.read(buffer, 0, length, at);
        if (bytesRead === 0) throw new Error(`the input ended at byte ${at} while copying a cluster`);
        position += await writeAll(output, buffer.subarray(0, bytesRead), position);
        at += bytesRead;
      }
    }
    await output.sync();
  } catch (error) {
    await output.close();
    await rm(outputPath, { force: true });
    throw error;
  }
  await output.close();
}

async function writeAll(output: FileHandle, data: Uint8Array, position: number): Promise<number> {
  let written = 0;
  while (written < data.length) {
    written += (await output.write(data, written, data.length - written, position + written)).bytesWritten;
  }
  return written;
}
