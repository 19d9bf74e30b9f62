import { open } from 'node:fs/promises';

export interface TopLevelBox {
  type: string;
  /** File offset of the box's first byte. */
  start: number;
  /** Whole box, header included (to the end of the file for size 0). */
  size: number;
}

/**
 * The top-level boxes of an ISO BMFF file in file order, from their headers only. A header that is cut short
 * or a box that runs past the end of the file is listed with its declared size (the caller sees the overrun).
 */
export async function topLevelBoxes(path: string): Promise<TopLevelBox[]> {
  const file = await open(path, 'r');
  try {
    const fileSize = (await file.stat()).size;
    const boxes: TopLevelBox[] = [];
    const header = Buffer.alloc(16);
    for (let at = 0; at + 8 <= fileSize;) {
      const { bytesRead } = await file.read(header, 0, 16, at);
      const size32 = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      let size = size32 === 0 ? fileSize - at : size32;
      if (size32 === 1) {
        if (bytesRead < 16) break;
        size = Number(header.readBigUInt64BE(8));
      }
      boxes.push({ type, start: at, size });
      if (size < 8) break;
      at += size;
    }
    return boxes;
  } finally {
    await file.close();
  }
}

/** Just the types of the top-level boxes, in order: what a box-order assertion compares. */
export async function topLevelBoxTypes(path: string): Promise<string[]> {
  return (await topLevelBoxes(path)).map((box) => box.type);
}
