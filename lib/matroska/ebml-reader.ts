/**
 * Reading EBML from a file that may end anywhere (a recording cut short by a crash): element headers are
 * parsed through a fixed-size read window, so scanning an hours-long file costs one sequential read and
 * constant memory.
 */
import type { FileHandle } from 'node:fs/promises';

export interface ElementHeader {
  readonly id: number;
  /** Offset of the element's first byte in the file. */
  readonly start: number;
  /** Offset of its payload. */
  readonly dataStart: number;
  /** Payload size in bytes; undefined for "unknown size" (a live Segment or Cluster). */
  readonly size: number | undefined;
}

/** A window of the file kept in memory; reads that fall inside it cost nothing. */
export class FileWindow {
  private readonly buffer: Uint8Array;
  private windowStart = 0;
  private windowLength = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    windowBytes = 1 << 20,
  ) {
    this.buffer = new Uint8Array(windowBytes);
  }

  /** Bytes [offset, offset + length), fewer at the end of the file. Valid until the next call. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.size);
    if (end <= offset) return new Uint8Array(0);
    if (offset >= this.windowStart && end <= this.windowStart + this.windowLength) {
      return this.buffer.subarray(offset - this.windowStart, end - this.windowStart);
    }
    if (end - offset > this.buffer.length) return this.readExactly(new Uint8Array(end - offset), offset);
    const filled = Math.min(this.buffer.length, this.size - offset);
    await this.readExactly(this.buffer.subarray(0, filled), offset);
    this.windowStart = offset;
    this.windowLength = filled;
    return this.buffer.subarray(0, end - offset);
  }

  private async readExactly(target: Uint8Array, offset: number): Promise<Uint8Array> {
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await this.handle.read(target, done, target.length - done, offset + done);
      if (bytesRead === 0) throw new Error(`the file shrank while being read (at byte ${offset + done})`);
      done += bytesRead;
    }
    return target;
  }
}

/**
 * The element header at `offset`, or undefined when the file ends inside it or the bytes there are not an
 * EBML header (garbage after a torn write).
 */
export async function readHeader(file: FileWindow, offset: number): Promise<ElementHeader | undefined> {
  const bytes = await file.bytes(offset, 12);
  const idLength = vintLength(bytes[0]);
  if (idLength === undefined || idLength > 4 || bytes.length < idLength) return undefined;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + bytes[i]!;
  const sizeLength = vintLength(bytes[idLength]);
  if (sizeLength === undefined || bytes.length < idLength + sizeLength) return undefined;
  let size = bytes[idLength]! & (0xff >> sizeLength);
  let allOnes = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    const byte = bytes[idLength + i]!;
    size = size * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { id, start: offset, dataStart: offset + idLength + sizeLength, size: allOnes ? undefined : size };
}

/** Length of a variable-length integer from its first byte (leading zero bits + 1), undefined if invalid. */
function vintLength(first: number | undefined): number | undefined {
  if (first === undefined || first === 0) return undefined;
  return Math.clz32(first) - 23;
}

/** The children of an element whose whole payload is in memory (Info, Tracks, a TrackEntry …). */
export function* childElements(payload: Uint8Array): Generator<{ id: number; data: Uint8Array }> {
  let offset = 0;
  while (offset < payload.length) {
    const idLength = vintLength(payload[offset]);
    if (idLength === undefined || idLength > 4) return;
    let id = 0;
    for (let i = 0; i < idLength; i++) id = id * 256 + (payload[offset + i] ?? 0);
    const sizeStart = offset + idLength;
    const sizeLength = vintLength(payload[sizeStart]);
    if (sizeLength === undefined) return;
    let size = (payload[sizeStart] ?? 0) & (0xff >> sizeLength);
    for (let i = 1; i < sizeLength; i++) size = size * 256 + (payload[sizeStart + i] ?? 0);
    const dataStart = sizeStart + sizeLength;
    if (dataStart + size > payload.length) return;
    yield { id, data: payload.subarray(dataStart, dataStart + size) };
    offset = dataStart + size;
  }
}

export function readUint(data: Uint8Array): number {
  let value = 0;
  for (const byte of data) value = value * 256 + byte;
  return value;
}

export function readFloat(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length === 4) return view.getFloat32(0);
  if (data.length === 8) return view.getFloat64(0);
  return 0;
}

export function readString(data: Uint8Array): string {
  return new TextDecoder().decode(data).replace(/\0+$/, '');
}
