/** Test support: MP4 files ffmpeg does not write, made by rewriting the moov of one it does. */
import { childBoxes, type Box } from '../../../lib/mp4/boxes.js';
import { BoxBuilder } from '../../../lib/mp4/box-builder.js';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Writes `box` again, its descendants passed through `rewrite` (which may write any boxes instead). */
function rebuild(out: BoxBuilder, box: Box, rewrite: (out: BoxBuilder, box: Box) => boolean): void {
  if (rewrite(out, box)) return;
  out.box(box.type, () => {
    if (CONTAINERS.has(box.type)) for (const child of childBoxes(box.body)) rebuild(out, child, rewrite);
    else out.bytes(box.body);
  });
}

/**
 * `file` (moov last, as ffmpeg writes it, so the chunk offsets stay right) with the video track's sample
 * description listed twice, as in a recording whose encoder settings changed midway.
 */
export function withSecondVideoDescription(file: Uint8Array): Uint8Array {
  const out = new BoxBuilder();
  let seenVideo = false;
  for (const box of childBoxes(file)) {
    rebuild(out, box, (writer, child) => {
      if (child.type !== 'stsd' || seenVideo) return false;
      seenVideo = true; // the first trak is ffmpeg's video
      const [entry] = childBoxes(child.body.subarray(8));
      if (!entry) throw new Error('stsd without an entry');
      writer.fullBox('stsd', 0, 0, () => {
        writer.u32(2);
        for (let i = 0; i < 2; i++) writer.box(entry.type, () => writer.bytes(entry.body));
      });
      return true;
    });
  }
  const types = childBoxes(file).map((box) => box.type);
  if (types.at(-1) !== 'moov') throw new Error(`moov is not last: ${types.join(',')}`);
  return out.result();
}
