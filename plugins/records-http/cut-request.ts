import { extname } from 'node:path';
import { SpoolError } from '../../core/index.js';

/** A time range of a recording, in seconds; no `endS` = to the end of the recording. */
export interface CutRange {
  readonly startS: number;
  readonly endS?: number;
}

/** Larger values are refused: they only make absurd file names (1e9 s is 31 years). */
const MAX_SECONDS = 1e9;

type Query = Readonly<Record<string, string | string[] | undefined>>;

function badRequest(message: string): SpoolError {
  return new SpoolError('SPOOL_ERR_BAD_REQUEST', message);
}

/** Seconds from one query parameter: undefined when absent or empty; rounded to milliseconds. */
function seconds(query: Query, key: 'start' | 'end'): number | undefined {
  const raw = query[key];
  if (raw === undefined || raw === '') return undefined;
  if (Array.isArray(raw)) throw badRequest(`${key} is given more than once`);
  if (raw.startsWith('-')) throw badRequest(`${key} must not be negative (got ${raw})`);
  // Plain decimal notation only: no hex, exponents, Infinity or whitespace that Number() accepts.
  if (!/^\d+(\.\d+)?$/.test(raw)) throw badRequest(`${key} must be a number of seconds (got ${raw})`);
  const value = Math.round(Number(raw) * 1000) / 1000;
  if (value > MAX_SECONDS) throw badRequest(`${key} must be at most ${MAX_SECONDS} seconds`);
  return value;
}

/**
 * The time range asked for by `?start=S&end=E` (seconds; either may be left out), or undefined when
 * neither is given. A left-out start is 0. Throws a 400 SpoolError for anything else than
 * non-negative decimal seconds, or when start is not before end.
 */
export function parseCutRange(query: Query): CutRange | undefined {
  const startS = seconds(query, 'start');
  const endS = seconds(query, 'end');
  if (startS === undefined && endS === undefined) return undefined;
  if (endS === undefined) return { startS: startS ?? 0 };
  if ((startS ?? 0) >= endS) throw badRequest(`start (${startS ?? 0}) must be less than end (${endS})`);
  return { startS: startS ?? 0, endS };
}

/** Only MP4 recordings are cut; other containers are served whole (as the reference does). */
export function isCuttable(name: string): boolean {
  return extname(name).toLowerCase() === '.mp4';
}

/**
 * The name of a cut: `NAME-sS-eE.mp4` as in the reference (`stream-s11-e60.mp4`); seconds print
 * as plain numbers (11, 11.5, 0.25 — at most 3 decimals), a left-out start as s0, and a left-out
 * end leaves the `-eE` part out (`NAME-sS.mp4` runs to the end of the recording).
 */
export function cutFileName(name: string, range: CutRange): string {
  const extension = extname(name);
  const base = name.slice(0, name.length - extension.length);
  const end = range.endS === undefined ? '' : `-e${String(range.endS)}`;
  return `${base}-s${String(range.startS)}${end}${extension}`;
}
