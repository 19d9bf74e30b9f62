/** Reading ISO BMFF boxes from memory and from a file. */
import type { FileHandle } from 'node:fs/promises';

export interface BoxHeader {
  type: string;
  /** Offset of the box's first byte (file offset, or index in the parent buffer). */
  start: number;
  headerSize: number;
  /** Total size including the header; Infinity for size 0 ("extends to the end of the file"). */
  size: number;
}

export interface Box extends BoxHeader {
  /** The box's payload (after the header). */
  body: Uint8Array;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/** Parses a box header from `bytes` at `at`; null if fewer bytes than a header are available. */
export function parseBoxHeader(bytes: Uint8Array, at: number, absoluteStart = at): BoxHeader | null {
  if (bytes.length - at < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size32 = view.getUint32(at);
  const type = fourcc(bytes, at + 4);
  if (size32 === 1) {
    if (bytes.length - at < 16) return null;
    return { type, start: absoluteStart, headerSize: 16, size: Number(view.getBigUint64(at + 8)) };
  }
  return { type, start: absoluteStart, headerSize: 8, size: size32 === 0 ? Infinity : size32 };
}

/** The child boxes of a container payload. Throws on a child that overruns its parent. */
export function childBoxes(body: Uint8Array): Box[] {
  const boxes: Box[] = [];
  let at = 0;
  while (at + 8 <= body.length) {
    const header = parseBoxHeader(body, at);
    if (!header) break;
    const end = header.size === Infinity ? body.length : at + header.size;
    if (header.size < header.headerSize || end > body.length)
      throw new Error(`box ${header.type} overruns its parent`);
    boxes.push({ ...header, body: body.subarray(at + header.headerSize, end) });
    at = end;
  }
  return boxes;
}

export function findChild(body: Uint8Array, type: string): Box | undefined {
  return childBoxes(body).find((box) => box.type === type);
}

export function requireChild(body: Uint8Array, type: string, where: string): Box {
  const box = findChild(body, type);
  if (!box) throw new Error(`${where} has no ${type} box`);
  return box;
}

/** Big-endian reader over a box payload. */
export class BodyReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(): number {
    return this.view.getUint8(this.offset++);
  }
  u16(): number {
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }
  u24(): number {
    return (this.u8() << 16) | this.u16();
  }
  u32(): number {
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }
  i32(): number {
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): number {
    const value = Number(this.view.getBigUint64(this.offset));
    this.offset += 8;
    return value;
  }
  i64(): number {
    const value = Number(this.view.getBigInt64(this.offset));
    this.offset += 8;
    return value;
  }
  bytesAt(length: number): Uint8Array {
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
  /** Reads a full box's version and flags. */
  versionAndFlags(): { version: number; flags: number } {
    const version = this.u8();
    return { version, flags: this.u24() };
  }
}

/** Reads `length` bytes at `position`; a short read returns fewer bytes. */
export async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
