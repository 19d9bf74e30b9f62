/**
 * Finds and reads the moov of an MP4, wherever it is in the file (operators' files may end with it); a
 * fragmented MP4's moov is made from its fragments.
 */
import type { FileHandle } from 'node:fs/promises';
import { childBoxes, parseBoxHeader, readAt } from './boxes.js';
import { parseInitSegment, type InitSegment } from './init-segment.js';
import { readFragmentedMoov } from './fragmented-source.js';

/**
 * A well-formed MP4 this cutter does not handle (several sample descriptions in a track, compact sample
 * sizes): the caller may hand it to a more general, slower cutter.
 */
export class UnsupportedMp4Error extends Error {
  override readonly name = 'UnsupportedMp4Error';
}

export interface SourceMoov {
  /** The source's ftyp box, header included, copied to the cut (its brands still hold). */
  readonly ftyp: Uint8Array | undefined;
  readonly moovBody: Uint8Array;
  readonly init: InitSegment;
}

/** A day of 60 fps video with 50 fps audio has a moov of about 60 MiB: this bounds a corrupt size field. */
const MAX_MOOV_BYTES = 512 * 2 ** 20;
const MAX_FTYP_BYTES = 4096;

/** Reads the top-level box headers (16 bytes each, never the media) until the moov is found. */
export async function readSourceMoov(file: FileHandle): Promise<SourceMoov> {
  const fileSize = (await file.stat()).size;
  let ftyp: Uint8Array | undefined;
  let position = 0;
  while (position < fileSize) {
    const header = parseBoxHeader(await readAt(file, position, 16), 0, position);
    if (!header || header.size < header.headerSize) {
      throw new Error(`not an MP4: no box header at byte ${position}`);
    }
    const size = header.size === Infinity ? fileSize - position : header.size;
    if (position + size > fileSize) {
      throw new Error(`not an MP4, or cut short: box '${header.type}' at byte ${position} runs past the end`);
    }
    if (header.type === 'moof') throw new Error('not an MP4 this cutter reads: moof before moov');
    if (header.type === 'ftyp' && size <= MAX_FTYP_BYTES) ftyp = await readAt(file, position, size);
    if (header.type === 'moov') {
      if (size > MAX_MOOV_BYTES) throw new Error(`moov of ${size} bytes is too large`);
      const moovBody = (await readAt(file, position, size)).subarray(header.headerSize);
      if (childBoxes(moovBody).some((box) => box.type === 'mvex')) return readFragmentedMoov(file, ftyp);
      return { ftyp, moovBody, init: parseInitSegment(moovBody) };
    }
    position += size;
  }
  throw new Error('not an MP4: no moov box');
}
