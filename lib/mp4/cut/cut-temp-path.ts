// Kept apart from cut-request.ts so the worker thread that writes cuts does not load the kernel.
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Temp files of cuts being written start with this: hidden, so never served nor taken for a recording. */
export const CUT_TEMP_PREFIX = '.cut-';
export const CUT_TEMP_SUFFIX = '.part';

/** A fresh hidden temp path beside `target`, unique per process and call. */
export function cutTempPath(target: string): string {
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(target), `${CUT_TEMP_PREFIX}${basename(target)}.${unique}${CUT_TEMP_SUFFIX}`);
}
