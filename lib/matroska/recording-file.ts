/**
 * The crash-safe Matroska/WebM file a recording writes into record_tmp_dir: a live-style Segment of
 * unknown size, then Clusters of SimpleBlocks. Every frame goes to the file as it arrives (one positioned
 * write, nothing held back), and the cluster being filled has the "unknown" size until it ends, when its
 * real size is patched in. So after a SIGKILL the file is valid Matroska holding every frame written;
 * the finalizer (finalize.ts) adds the Duration, SeekHead and Cues.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Frame, Track } from '../../core/index.js';
import {
  concat,
  ebmlHeader,
  element,
  idBytes,
  ID,
  sizeBytes,
  stringElement,
  TIMESTAMP_SCALE_NS,
  uintElement,
  UNKNOWN_SIZE,
} from './ebml.js';
import { codecDelayTicks, pictureSize, trackEntry, type PictureSize } from './track-entries.js';

/** Block timestamps are signed 16-bit milliseconds relative to their cluster's timestamp. */
const MAX_BLOCK_OFFSET_MS = 32767;
const MIN_BLOCK_OFFSET_MS = -32768;
/** Cluster ID + 8-byte size: the size is patched in place, so its width is fixed. */
const CLUSTER_HEADER_BYTES = 12;

export interface ClusterLimits {
  /** webm_cluster_duration_limit: a frame this many ms (or more) after the cluster's start begins a new one. */
  readonly durationMs: number;
  /** webm_cluster_size_limit: a frame that would make the cluster larger than this begins a new one. */
  readonly sizeBytes: number;
}

export interface MatroskaFileOptions {
  readonly path: string;
  readonly docType: 'matroska' | 'webm';
  /** In the order they get track numbers 1, 2 …; each with its decoder configuration. */
  readonly tracks: readonly Track[];
  readonly limits: ClusterLimits;
}

export interface MatroskaFileStats {
  clusters: number;
  framesWritten: number;
  /** Frames too far before their cluster to be stored (never from the recorder, which starts at 0). */
  framesDropped: number;
}

interface FileTrack {
  readonly number: number;
  readonly track: Track;
  /** Added to pts: see codecDelayTicks. */
  readonly delayTicks: number;
}

interface OpenCluster {
  readonly start: number;
  readonly timestampMs: number;
  bytes: number;
}

/** Structurally the recorder's RecordingFileWriter (the media library does not import plugins). */
export class MatroskaRecordingFile {
  readonly stats: MatroskaFileStats = { clusters: 0, framesWritten: 0, framesDropped: 0 };
  private readonly tracks = new Map<number, FileTrack>();
  /** Keyframes of this track (the first video track) start clusters, so each GOP can be seeked to. */
  private readonly keyTrackId: number | undefined;
  private readonly maxClusterMs: number;
  private position = 0;
  private headerWritten = false;
  private cluster: OpenCluster | undefined;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: MatroskaFileOptions,
  ) {
    options.tracks.forEach((track, i) =>
      this.tracks.set(track.id, { number: i + 1, track, delayTicks: codecDelayTicks(track) }),
    );
    this.keyTrackId = options.tracks.find((track) => track.kind === 'video')?.id;
    this.maxClusterMs = Math.min(Math.max(1, options.limits.durationMs), MAX_BLOCK_OFFSET_MS);
  }

  static async open(options: MatroskaFileOptions): Promise<MatroskaRecordingFile> {
    if (options.tracks.length === 0) throw new Error('a Matroska recording needs a track');
    const file = new MatroskaRecordingFile(await open(options.path, 'w'), options);
    // Write the header at once when every picture size is known (a VP8 track may learn it at its first keyframe).
    const sizes = file.pictureSizes();
    if (sizes !== undefined) await file.writeHeader(sizes);
    return file;
  }

  get bytesWritten(): number {
    return this.position;
  }

  async write(frame: Frame): Promise<void> {
    if (this.closed) throw new Error('the Matroska recording file is closed');
    const fileTrack = this.tracks.get(frame.trackId);
    if (fileTrack === undefined) return;
    if (!this.headerWritten) {
      const sizes = this.pictureSizes(frame);
      if (sizes === undefined)
        throw new Error('the VP8 picture size is unknown until the first keyframe; the file starts there');
      await this.writeHeader(sizes);
    }
    // Matroska stores presentation times; blocks stay in decode order, so B-frames play as encoded.
    const ms = Math.round(((frame.pts + fileTrack.delayTicks) * 1000) / fileTrack.track.timescale);
    if (ms < MIN_BLOCK_OFFSET_MS) {
      // Cluster timestamps are unsigned: no cluster can hold a block this far before 0.
      this.stats.framesDropped++;
      return;
    }
    const blockBytes = simpleBlockSize(frame.data.length);
    const parts: Uint8Array[] = [];
    let cluster = this.cluster;
    if (cluster === undefined || this.startsCluster(cluster, frame, ms, blockBytes)) {
      await this.endCluster();
      // A block may sit a little before its cluster (audio just ahead of the keyframe that started it).
      const timestampMs = Math.max(0, ms);
      const header = concat([idBytes(ID.Cluster), UNKNOWN_SIZE, uintElement(ID.Timestamp, timestampMs)]);
      cluster = { start: this.position, timestampMs, bytes: header.length };
      parts.push(header);
    }
    const keyframe = frame.keyframe || fileTrack.track.kind === 'audio';
    const offsetMs = ms - cluster.timestampMs;
    parts.push(simpleBlockHeader(fileTrack.number, offsetMs, keyframe, frame.data.length), frame.data);
    await this.append(parts);
    // Only now: after a failed write the cluster (header included) starts again with the next frame.
    if (cluster !== this.cluster) {
      this.cluster = cluster;
      this.stats.clusters++;
    }
    cluster.bytes += blockBytes;
    this.stats.framesWritten++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.headerWritten) {
        const sizes = this.pictureSizes();
        if (sizes !== undefined) await this.writeHeader(sizes);
      }
      await this.endCluster();
    } finally {
      await this.handle.close();
    }
  }

  /**
   * A new cluster starts at every keyframe of the video track, and before any frame that would take the
   * cluster past its duration or size limit (then it may start with a delta frame, which Matroska allows).
   */
  private startsCluster(cluster: OpenCluster, frame: Frame, ms: number, blockBytes: number): boolean {
    if (frame.keyframe && frame.trackId === this.keyTrackId) return true;
    const offsetMs = ms - cluster.timestampMs;
    if (offsetMs >= this.maxClusterMs || offsetMs < MIN_BLOCK_OFFSET_MS) return true;
    return cluster.bytes + blockBytes > this.options.limits.sizeBytes;
  }

  /** Patches the cluster's real size over its "unknown" one. */
  private async endCluster(): Promise<void> {
    const cluster = this.cluster;
    if (cluster === undefined) return;
    this.cluster = undefined;
    const size = sizeBytes(this.position - cluster.start - CLUSTER_HEADER_BYTES, 8);
    await writeAllAt(this.handle, [size], cluster.start + idBytes(ID.Cluster).length);
  }

  private async writeHeader(sizes: Map<number, PictureSize>): Promise<void> {
    const entries = [...this.tracks.values()].map(({ number, track }) =>
      trackEntry(number, track, sizes.get(track.id)),
    );
    const info = element(
      ID.Info,
      uintElement(ID.TimestampScale, TIMESTAMP_SCALE_NS),
      stringElement(ID.MuxingApp, 'Spool'),
      stringElement(ID.WritingApp, 'Spool'),
    );
    await this.append([
      ebmlHeader(this.options.docType),
      idBytes(ID.Segment),
      UNKNOWN_SIZE,
      info,
      element(ID.Tracks, ...entries),
    ]);
    this.headerWritten = true;
  }

  /** Picture sizes of the video tracks, undefined while one is unknown. */
  private pictureSizes(frame?: Frame): Map<number, PictureSize> | undefined {
    const sizes = new Map<number, PictureSize>();
    for (const { track } of this.tracks.values()) {
      if (track.kind !== 'video') continue;
      const size = pictureSize(track, frame?.trackId === track.id ? frame.data : undefined);
      if (size === undefined) return undefined;
      sizes.set(track.id, size);
    }
    return sizes;
  }

  private async append(parts: Uint8Array[]): Promise<void> {
    // The position only moves once the bytes are down: after a failed write the next one overwrites the torn tail.
    this.position += await writeAllAt(this.handle, parts, this.position);
  }
}

function simpleBlockSize(dataBytes: number): number {
  const payload = 4 + dataBytes;
  return 1 + sizeBytes(payload).length + payload;
}

/** SimpleBlock ID, size, track number, relative timestamp and flags; the frame data follows. */
function simpleBlockHeader(
  trackNumber: number,
  offsetMs: number,
  keyframe: boolean,
  dataBytes: number,
): Uint8Array {
  const fields = new Uint8Array(4);
  fields[0] = 0x80 | trackNumber; // a 1-byte vint: Spool files have fewer than 127 tracks
  new DataView(fields.buffer).setInt16(1, offsetMs);
  fields[3] = keyframe ? 0x80 : 0;
  return concat([idBytes(ID.SimpleBlock), sizeBytes(fields.length + dataBytes), fields]);
}

/** Writes all parts at `position` (one system call in the usual case); returns the bytes written. */
async function writeAllAt(handle: FileHandle, parts: Uint8Array[], position: number): Promise<number> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  let written = (await handle.writev(parts, position)).bytesWritten;
  if (written < total) {
    const all = concat(parts);
    while (written < total) {
      written += (await handle.write(all, written, total - written, position + written)).bytesWritten;
    }
  }
  return total;
}
