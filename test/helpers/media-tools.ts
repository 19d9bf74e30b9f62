import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

/** ffmpeg 4.1 and ffprobe shipped inside npm packages (installed by npm install). */
export const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

/** Runs ffmpeg with -hide_banner; rejects with its stderr on failure. */
export async function ffmpeg(
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<{ stdout: Buffer; stderr: string }> {
  try {
    const { stdout, stderr } = await run(FFMPEG, ['-hide_banner', '-nostdin', ...args], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs,
    });
    return { stdout, stderr: stderr.toString() };
  } catch (error) {
    const failed = error as { stderr?: Buffer; message: string };
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${failed.stderr?.toString() ?? failed.message}`, {
      cause: error,
    });
  }
}

export interface ProbeStream {
  codec_type: 'video' | 'audio';
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
  duration?: string;
}

export interface Probe {
  format: { format_name: string; duration?: string; size: string };
  streams: ProbeStream[];
}

export async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(stdout) as Probe;
}

/** Decodes the whole file; returns what `ffmpeg -v error` printed (empty = clean). */
export async function decodeErrors(file: string): Promise<string> {
  try {
    const { stderr } = await run(FFMPEG, [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-i',
      file,
      '-f',
      'null',
      '-',
    ]);
    return stderr.trim();
  } catch (error) {
    return (error as { stderr?: string }).stderr?.trim() || String(error);
  }
}
