import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requireTool } from './system-tool.js';

const run = promisify(execFile);

/** Runs mkvinfo on Matroska/WebM files, in English (the checks match its wording). */
export type Mkvinfo = (file: string, detail?: '-v' | '--all') => Promise<string>;

/**
 * mkvinfo from Debian's mkvtoolnix for test `t`, or undefined after skipping `t` when it is not installed
 * (under CI a missing mkvinfo fails `t` instead). `reason` completes "this test cannot …". `-v` shows the
 * element tree with top-level Cues; `--all` lists every cue point as well.
 */
export function requireMkvinfo(t: TestContext, reason: string): Mkvinfo | undefined {
  const binary = requireTool(t, 'mkvinfo', reason);
  if (binary === undefined) return undefined;
  return async (file, detail = '-v') => {
    const { stdout } = await run(binary, [detail, '--ui-language', 'en_US', file], {
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  };
}
