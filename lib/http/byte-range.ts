import rangeParser from 'range-parser';

export type ByteRange = { start: number; end: number };

/**
 * A single `bytes=` range against a file of `size` bytes: the range (end inclusive), 'unsatisfiable',
 * or undefined to serve the whole file (no header, another unit, a syntax error, or several ranges).
 *
 * range-parser 1.3.0 parses. Three of its answers are not what RFC 9110 §14.1 asks, so they are
 * decided here:
 * - `bytes=-N` with N larger than the file: range-parser says -1 (unsatisfiable), the RFC the whole
 *   file. Fixed upstream (jshttp/range-parser#66) only in 2.0.0, which needs Node 22; Spool runs on 20.19.
 * - `bytes=B-A` with A < B: range-parser says -1 too, the RFC calls it invalid, so the header is ignored.
 * - several ranges: range-parser drops the unsatisfiable ones and returns the rest. Spool answers no
 *   multipart/byteranges, so a header with several ranges is ignored as a whole.
 * The unit is compared case-insensitively (RFC 9110 §14.1); range-parser returns it as written.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return undefined;
  const spec = header.slice(equals + 1);
  if (spec.includes(',')) return undefined;
  const ranges = rangeParser(size, header);
  if (ranges === -2) return undefined;
  if (ranges !== -1) return { start: ranges[0]!.start, end: ranges[0]!.end };
  // -1 for one spec whose positions are digits: tell the three cases above apart.
  const [first = '', last = ''] = spec.split('-').map((part) => part.trim());
  if (first === '') return size > 0 && Number(last) > 0 ? { start: 0, end: size - 1 } : 'unsatisfiable';
  return last !== '' && Number(last) < Number(first) ? undefined : 'unsatisfiable';
}
