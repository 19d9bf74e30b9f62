import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { announceFallback, DEBIAN_PACKAGES, debianInstall, onPath } from './system-tool.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

/**
 * The system's ffmpeg and ffprobe (Debian's 5.1, which .ci/run installs: a newer, stricter decoder to judge
 * files with) when they are on PATH, else the ones shipped inside npm packages (ffmpeg 4.1, installed by npm
 * install), said once per test process. SPOOL_TEST_FFMPEG / SPOOL_TEST_FFPROBE override both. Under CI the
 * system ones are required.
 */
export const FFMPEG = resolveTool('ffmpeg', 'SPOOL_TEST_FFMPEG', () => require('@ffmpeg-installer/ffmpeg'));
export const FFPROBE = resolveTool('ffprobe', 'SPOOL_TEST_FFPROBE', () =>
  require('@ffprobe-installer/ffprobe'),
);

function resolveTool(name: string, envName: string, npmPackage: () => unknown): string {
  const override = process.env[envName];
  if (override) return override;
  const system = onPath(name);
  if (system) return system;
  const npm = (npmPackage() as { path: string }).path;
  announceFallback(
    { tool: name, problem: 'not on PATH', install: debianInstall(DEBIAN_PACKAGES[name]!) },
    `the npm package's ${name} (${npm}), older and more lenient than Debian's`,
  );
  return npm;
}

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

/**
 * Decodes the whole file; returns what `ffmpeg -v error` printed (empty = clean). `-enc_time_base -1`
 * keeps the file's own time base for ffmpeg's null output: by default it rounds variable-frame-rate
 * video (WebRTC capture times; a libx264 VFR file does the same) to the frame rate it guesses and then
 * reports two close frames as "non monotonically increasing dts" — about its own output, not the file.
 */
export async function decodeErrors(file: string): Promise<string> {
  try {
    const { stderr } = await run(FFMPEG, [
      ...['-hide_banner', '-nostdin', '-v', 'error', '-i', file],
      ...['-enc_time_base', '-1', '-f', 'null', '-'],
    ]);
    return stderr.trim();
  } catch (error) {
    return (error as { stderr?: string }).stderr?.trim() || String(error);
  }
}

export interface ProbePacket {
  readonly codecType: 'video' | 'audio';
  /** Presentation time in seconds (the container's timeline, edit lists applied). */
  readonly ptsTime: number;
}

/** Every packet of the file in file order (ffprobe -show_packets): what was really written. */
export async function probePackets(file: string): Promise<ProbePacket[]> {
  const { stdout } = await run(
    FFPROBE,
    [
      '-v',
      'error',
      '-show_entries',
      'packet=stream_index,pts_time:stream=index,codec_type',
      '-of',
      'json',
      file,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const probe = JSON.parse(stdout) as {
    packets?: Array<{ stream_index: number; pts_time?: string }>;
    streams: Array<{ index: number; codec_type: 'video' | 'audio' }>;
  };
  const types = new Map(probe.streams.map((s) => [s.index, s.codec_type]));
  return (probe.packets ?? []).map((p) => ({
    codecType: types.get(p.stream_index)!,
    ptsTime: Number(p.pts_time),
  }));
}
