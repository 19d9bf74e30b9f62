/**
 * One pass over a recording's Matroska file (complete, or cut short anywhere by a crash) that finds what
 * the finalizer needs: the header elements to carry over, where each cluster's data lies, the keyframes
 * to index in Cues and each track's time span. Block payloads are skipped, never held: memory grows only
 * with the number of clusters and cue points (a few bytes each, thousands per hour).
 */
import { ID } from './ebml.js';
import {
  childElements,
  readHeader,
  readString,
  readUint,
  type ElementHeader,
  type FileWindow,
} from './ebml-reader.js';

/** At most one cue point per this interval (an all-intra stream would otherwise index every frame). */
const CUE_MIN_INTERVAL_MS = 500;
/** Elements that follow a cluster of unknown size at the top level of the Segment, ending it. */
const TOP_LEVEL_IDS = new Set<number>([
  ID.Cluster,
  ID.Cues,
  ID.Info,
  ID.Tracks,
  ID.SeekHead,
  ID.Tags,
  ID.Chapters,
  ID.Attachments,
]);

export interface ScannedTrack {
  readonly number: number;
  readonly type: 'video' | 'audio' | 'other';
  readonly codecId: string;
  blocks: number;
  /** Earliest and latest block timestamp, in ticks of the TimestampScale. */
  firstTicks: number;
  lastTicks: number;
  /** Smallest positive step between consecutive blocks: the frame duration, added after the last one. */
  stepTicks: number;
  previousTicks: number | undefined;
}

export interface ScannedCluster {
  /** The cluster's payload in the input: its Timestamp and complete blocks (a torn tail is left out). */
  readonly dataStart: number;
  readonly dataEnd: number;
}

export interface CueEntry {
  readonly ticks: number;
  readonly track: number;
  /** Index into `clusters`. */
  readonly cluster: number;
  /** Offset of the block from its cluster's payload start (CueRelativePosition). */
  readonly relativePosition: number;
}

export interface MatroskaScan {
  readonly docType: string;
  readonly timestampScaleNs: number;
  /** The Tracks element, header included, copied as it is. */
  readonly tracksElement: Uint8Array;
  readonly tracks: ScannedTrack[];
  readonly clusters: ScannedCluster[];
  readonly cues: CueEntry[];
  /** The file ended inside an element (a crash): that tail was left out. */
  readonly truncated: boolean;
}

export async function scanMatroska(file: FileWindow, name: string): Promise<MatroskaScan> {
  if (file.size === 0)
    throw new Error(`${name} is empty, not Matroska (was the recording killed before its first frame?)`);
  const ebml = await readHeader(file, 0);
  if (ebml?.id !== ID.EBML || ebml.size === undefined || ebml.dataStart + ebml.size > file.size) {
    throw new Error(`${name} is not a Matroska/WebM file: it does not start with an EBML header`);
  }
  let docType = '';
  for (const child of childElements((await file.bytes(ebml.dataStart, ebml.size)).slice())) {
    if (child.id === ID.DocType) docType = readString(child.data);
  }
  if (docType !== 'matroska' && docType !== 'webm') {
    throw new Error(`${name} is not a Matroska/WebM file: its EBML DocType is "${docType}"`);
  }
  const segment = await readHeader(file, ebml.dataStart + ebml.size);
  if (segment?.id !== ID.Segment) throw new Error(`${name}: no Matroska Segment after the EBML header`);
  const scanner = new Scanner(file, name, segment);
  await scanner.run();
  if (scanner.tracksElement === undefined)
    throw new Error(`${name}: the Matroska file has no Tracks element`);
  if (scanner.clusters.length === 0) throw new Error(`${name}: no complete cluster with a frame in it`);
  return {
    docType,
    timestampScaleNs: scanner.timestampScaleNs,
    tracksElement: scanner.tracksElement,
    tracks: [...scanner.tracks.values()],
    clusters: scanner.clusters,
    cues: scanner.cues,
    truncated: scanner.truncated,
  };
}

class Scanner {
  timestampScaleNs = 1_000_000;
  tracksElement: Uint8Array | undefined;
  readonly tracks = new Map<number, ScannedTrack>();
  readonly clusters: ScannedCluster[] = [];
  readonly cues: CueEntry[] = [];
  truncated = false;
  private readonly segmentEnd: number;
  private position: number;
  private cueTrack: number | undefined;
  private lastCueTicks = -Infinity;

  constructor(
    private readonly file: FileWindow,
    private readonly name: string,
    segment: ElementHeader,
  ) {
    // A live Segment (unknown size) runs to the end of the file; a finished one may also be cut short.
    this.segmentEnd = Math.min(
      file.size,
      segment.size === undefined ? file.size : segment.dataStart + segment.size,
    );
    this.position = segment.dataStart;
  }

  async run(): Promise<void> {
    while (this.position < this.segmentEnd) {
      const header = await readHeader(this.file, this.position);
      if (header === undefined) return this.cutShort();
      if (header.id === ID.Cluster) {
        if (!(await this.scanCluster(header))) return this.cutShort();
        continue;
      }
      if (header.size === undefined) return this.cutShort();
      const end = header.dataStart + header.size;
      if (end > this.segmentEnd) return this.cutShort();
      if (header.id === ID.Info) this.readInfo(await this.file.bytes(header.dataStart, header.size));
      if (header.id === ID.Tracks) {
        this.tracksElement = (await this.file.bytes(header.start, end - header.start)).slice();
        this.readTracks(this.tracksElement.subarray(header.dataStart - header.start));
      }
      this.position = end;
    }
  }

  private cutShort(): void {
    this.truncated = true;
  }

  /** Scans one cluster; false when the file ends (or turns to garbage) inside it. */
  private async scanCluster(cluster: ElementHeader): Promise<boolean> {
    const declaredEnd = cluster.size === undefined ? undefined : cluster.dataStart + cluster.size;
    const limit = Math.min(declaredEnd ?? this.segmentEnd, this.segmentEnd);
    const index = this.clusters.length;
    let clusterTicks = 0;
    let blocks = 0;
    let position = cluster.dataStart;
    let complete = true;
    while (position < limit) {
      const child = await readHeader(this.file, position);
      // A cluster of unknown size ends where the next top-level element begins.
      if (child !== undefined && declaredEnd === undefined && TOP_LEVEL_IDS.has(child.id)) break;
      if (child?.size === undefined || child.dataStart + child.size > limit) {
        complete = false;
        break;
      }
      if (child.id === ID.Timestamp)
        clusterTicks = readUint(await this.file.bytes(child.dataStart, child.size));
      if (child.id === ID.SimpleBlock || child.id === ID.BlockGroup) {
        const block = await this.readBlock(child);
        if (block !== undefined) {
          this.addBlock(
            block.track,
            clusterTicks + block.offset,
            block.keyframe,
            index,
            child.start - cluster.dataStart,
          );
          blocks++;
        }
      }
      position = child.dataStart + child.size;
    }
    if (declaredEnd !== undefined && declaredEnd > this.segmentEnd) complete = false;
    if (blocks > 0) this.clusters.push({ dataStart: cluster.dataStart, dataEnd: position });
    this.position = position;
    return complete;
  }

  /** Track number, timestamp offset and keyframe flag of a SimpleBlock, or of the Block in a BlockGroup. */
  private async readBlock(
    element: ElementHeader,
  ): Promise<{ track: number; offset: number; keyframe: boolean } | undefined> {
    let block = element;
    let keyframe: boolean | undefined;
    if (element.id === ID.BlockGroup) {
      let found: ElementHeader | undefined;
      keyframe = true;
      for (let at = element.dataStart; at < element.dataStart + element.size!;) {
        const child = await readHeader(this.file, at);
        if (child?.size === undefined) return undefined;
        if (child.id === ID.Block) found = child;
        if (child.id === ID.ReferenceBlock) keyframe = false;
        at = child.dataStart + child.size;
      }
      if (found === undefined) return undefined;
      block = found;
    }
    const bytes = await this.file.bytes(block.dataStart, 4);
    // Track numbers below 127 take one byte; Spool never writes more tracks than that.
    if (bytes.length < 4 || (bytes[0]! & 0x80) === 0) return undefined;
    const offset = (((bytes[1]! << 8) | bytes[2]!) << 16) >> 16;
    return { track: bytes[0]! & 0x7f, offset, keyframe: keyframe ?? (bytes[3]! & 0x80) !== 0 };
  }

  private addBlock(
    number: number,
    ticks: number,
    keyframe: boolean,
    cluster: number,
    relativePosition: number,
  ): void {
    const track = this.tracks.get(number);
    if (track === undefined) return;
    if (track.blocks === 0) track.firstTicks = ticks;
    track.blocks++;
    track.firstTicks = Math.min(track.firstTicks, ticks);
    track.lastTicks = Math.max(track.lastTicks, ticks);
    const step = ticks - (track.previousTicks ?? ticks);
    if (step > 0) track.stepTicks = Math.min(track.stepTicks, step);
    track.previousTicks = ticks;
    const intervalTicks = (CUE_MIN_INTERVAL_MS * 1e6) / this.timestampScaleNs;
    if (number === this.cueTrack && keyframe && ticks >= this.lastCueTicks + intervalTicks) {
      this.cues.push({ ticks, track: number, cluster, relativePosition });
      this.lastCueTicks = ticks;
    }
  }

  private readInfo(payload: Uint8Array): void {
    for (const child of childElements(payload)) {
      if (child.id === ID.TimestampScale) this.timestampScaleNs = readUint(child.data) || 1_000_000;
    }
  }

  private readTracks(payload: Uint8Array): void {
    for (const entry of childElements(payload)) {
      if (entry.id !== ID.TrackEntry) continue;
      let number = 0;
      let type = 0;
      let codecId = '';
      for (const child of childElements(entry.data)) {
        if (child.id === ID.TrackNumber) number = readUint(child.data);
        if (child.id === ID.TrackType) type = readUint(child.data);
        if (child.id === ID.CodecID) codecId = readString(child.data);
      }
      const kind = type === 1 ? 'video' : type === 2 ? 'audio' : 'other';
      this.tracks.set(number, {
        number,
        type: kind,
        codecId,
        blocks: 0,
        firstTicks: 0,
        lastTicks: 0,
        stepTicks: Infinity,
        previousTicks: undefined,
      });
    }
    // Seeking goes to the video's keyframes; an audio-only file gets cue points on its audio.
    const all = [...this.tracks.values()];
    this.cueTrack = (all.find((t) => t.type === 'video') ?? all.find((t) => t.type === 'audio'))?.number;
    if (this.cueTrack === undefined)
      throw new Error(`${this.name}: no audio or video track in the Matroska file`);
  }
}
