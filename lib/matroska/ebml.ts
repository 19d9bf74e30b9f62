/**
 * EBML encoding for Matroska/WebM (RFC 8794, RFC 9559): element IDs Spool writes or reads, and builders
 * that turn them into bytes. Elements are built bottom-up as byte arrays; nothing here does I/O.
 */

/** Matroska element IDs, marker bits included (as they appear in the file). */
export const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Void: 0xec,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  Language: 0x22b59c,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  BitDepth: 0x6264,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  ReferenceBlock: 0xfb,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  CueRelativePosition: 0xf0,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
} as const;

/** Milliseconds per tick: Spool writes TimestampScale 1 ms, the WebM default every player expects. */
export const TIMESTAMP_SCALE_NS = 1_000_000;

/**
 * The 8-byte "unknown size" (all value bits set): a live Segment, and the Cluster being written — patched
 * to its real size when the cluster ends, so a killed writer leaves a valid file either way.
 */
export const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function idBytes(id: number): Uint8Array {
  const length = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  return bigEndian(id, length);
}

/** Size as an EBML variable-length integer: the shortest form, or `width` bytes (1-8) when given. */
export function sizeBytes(size: number, width?: number): Uint8Array {
  let length = width ?? 1;
  // 2^(7n) - 1 (all value bits set) is reserved for "unknown", so it needs the next length.
  if (width === undefined) while (size >= 2 ** (7 * length) - 1) length++;
  if (length > 8 || size >= 2 ** (7 * length) - 1)
    throw new Error(`EBML size ${size} does not fit ${length} bytes`);
  const bytes = bigEndian(size, length);
  bytes[0]! |= 0x80 >> (length - 1);
  return bytes;
}

export function element(id: number, ...children: Uint8Array[]): Uint8Array {
  return elementOf(id, children);
}

/** `element` for a list of children too long to spread into arguments (a long recording's cue points). */
export function elementOf(id: number, children: readonly Uint8Array[]): Uint8Array {
  const payload = concat(children);
  return concat([idBytes(id), sizeBytes(payload.length), payload]);
}

/** An unsigned integer element in its shortest form, or in `width` bytes (so its size is known up front). */
export function uintElement(id: number, value: number, width?: number): Uint8Array {
  let length = width ?? 1;
  if (width === undefined) while (value >= 2 ** (8 * length)) length++;
  return element(id, bigEndian(value, length));
}

export function floatElement(id: number, value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value);
  return element(id, bytes);
}

export function stringElement(id: number, value: string): Uint8Array {
  return element(id, new TextEncoder().encode(value));
}

/** The EBML header every Matroska file starts with; `docType` is 'matroska' or 'webm'. */
export function ebmlHeader(docType: string): Uint8Array {
  return element(
    ID.EBML,
    uintElement(ID.EBMLVersion, 1),
    uintElement(ID.EBMLReadVersion, 1),
    uintElement(ID.EBMLMaxIDLength, 4),
    uintElement(ID.EBMLMaxSizeLength, 8),
    stringElement(ID.DocType, docType),
    uintElement(ID.DocTypeVersion, 4),
    uintElement(ID.DocTypeReadVersion, 2),
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** `value` (a non-negative integer up to 2^53) in `length` big-endian bytes. */
function bigEndian(value: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  if (rest !== 0) throw new Error(`${value} does not fit in ${length} bytes`);
  return bytes;
}
