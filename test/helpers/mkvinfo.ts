import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { onPath } from './media-tools.js';

const run = promisify(execFile);

/**
 * mkvinfo from Debian's mkvtoolnix (.ci/run installs it), or undefined when it is not installed; under
 * CI=true a missing mkvinfo is an error, so CI cannot pass without checking Matroska files with it.
 */
export function mkvinfoPath(): string | undefined {
  const path = onPath('mkvinfo');
  if (path === undefined && process.env.CI === 'true') {
    throw new Error('mkvinfo is not on PATH: install the Debian package mkvtoolnix (.ci/run does)');
  }
  return path;
}

/** mkvinfo -v: the element tree of a Matroska/WebM file with top-level Cues shown, in English. */
export async function mkvinfo(file: string): Promise<string> {
  const binary = mkvinfoPath();
  if (binary === undefined) throw new Error('mkvinfo is not installed (Debian package mkvtoolnix)');
  const { stdout } = await run(binary, ['-v', '--ui-language', 'en_US', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
