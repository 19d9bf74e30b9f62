/** What the finalizer needs from a fragmented file's moov (the init segment). */
import { BodyReader, childBoxes, findChild, requireChild, type Box } from './boxes.js';

export interface TrackDefaults {
  duration: number;
  size: number;
  flags: number;
}

export interface InitTrack {
  trackId: number;
  /** hdlr handler type: 'vide', 'soun', ... */
  handler: string;
  timescale: number;
  /** Sample entry type from stsd: 'avc1', 'mp4a', ... */
  sampleEntry: string;
  trak: Box;
  defaults: TrackDefaults;
  /** The input's edit list reduced to: empty lead-in (movie units) then media from `mediaTime` (media units). */
  edit: { emptyDuration: number; mediaTime: number };
}

export interface InitSegment {
  movieTimescale: number;
  tracks: InitTrack[];
  /** moov children kept as they are (udta, meta). */
  passthrough: Box[];
}

export function parseInitSegment(moovBody: Uint8Array): InitSegment {
  const children = childBoxes(moovBody);
  const mvhd = children.find((box) => box.type === 'mvhd');
  if (!mvhd) throw new Error('moov has no mvhd');
  const movieTimescale = readMvhdTimescale(mvhd.body);
  const trexByTrack = new Map<number, TrackDefaults>();
  const mvex = children.find((box) => box.type === 'mvex');
  for (const trex of mvex ? childBoxes(mvex.body).filter((box) => box.type === 'trex') : []) {
    const reader = new BodyReader(trex.body);
    reader.versionAndFlags();
    const trackId = reader.u32();
    reader.u32(); // default sample description index
    trexByTrack.set(trackId, { duration: reader.u32(), size: reader.u32(), flags: reader.u32() });
  }
  const tracks = children.filter((box) => box.type === 'trak').map((trak) => parseTrak(trak, trexByTrack));
  const passthrough = children.filter((box) => box.type === 'udta' || box.type === 'meta');
  return { movieTimescale, tracks, passthrough };
}

function readMvhdTimescale(body: Uint8Array): number {
  const reader = new BodyReader(body);
  const { version } = reader.versionAndFlags();
  reader.offset += version === 1 ? 16 : 8;
  return reader.u32();
}

function parseTrak(trak: Box, trexByTrack: Map<number, TrackDefaults>): InitTrack {
  const tkhd = new BodyReader(requireChild(trak.body, 'tkhd', 'trak').body);
  const { version } = tkhd.versionAndFlags();
  tkhd.offset += version === 1 ? 16 : 8;
  const trackId = tkhd.u32();
  const mdia = requireChild(trak.body, 'mdia', 'trak').body;
  const mdhd = new BodyReader(requireChild(mdia, 'mdhd', 'mdia').body);
  const mdhdVersion = mdhd.versionAndFlags().version;
  mdhd.offset += mdhdVersion === 1 ? 16 : 8;
  const timescale = mdhd.u32();
  const hdlr = new BodyReader(requireChild(mdia, 'hdlr', 'mdia').body);
  hdlr.versionAndFlags();
  hdlr.u32(); // pre_defined
  const handler = String.fromCharCode(...hdlr.bytesAt(4));
  const stbl = requireChild(requireChild(mdia, 'minf', 'mdia').body, 'stbl', 'minf').body;
  const stsd = requireChild(stbl, 'stsd', 'stbl').body;
  const sampleEntry = childBoxes(stsd.subarray(8))[0]?.type ?? '????';
  const defaults = trexByTrack.get(trackId) ?? { duration: 0, size: 0, flags: 0 };
  return { trackId, handler, timescale, sampleEntry, trak, defaults, edit: parseEdit(trak.body) };
}

/** Keeps an empty lead-in and the first media edit; mediabunny and ffmpeg write nothing more complex. */
function parseEdit(trakBody: Uint8Array): InitTrack['edit'] {
  const edit = { emptyDuration: 0, mediaTime: 0 };
  const edts = findChild(trakBody, 'edts');
  const elst = edts ? findChild(edts.body, 'elst') : undefined;
  if (!elst) return edit;
  const reader = new BodyReader(elst.body);
  const { version } = reader.versionAndFlags();
  const entryCount = reader.u32();
  for (let i = 0; i < entryCount; i++) {
    const segmentDuration = version === 1 ? reader.u64() : reader.u32();
    const mediaTime = version === 1 ? reader.i64() : reader.i32();
    reader.u32(); // media rate
    if (mediaTime === -1) {
      edit.emptyDuration += segmentDuration;
    } else {
      edit.mediaTime = mediaTime;
      break;
    }
  }
  return edit;
}
