/** Which ffmpeg the transcoder runs, and what that build can encode. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The configured path, or else the binary shipped inside the @ffmpeg-installer/ffmpeg package
 * (npm installs it with the server, no download at install time).
 */
export function resolveFfmpegPath(configured: string): string {
  if (configured !== '') return configured;
  try {
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (error) {
    throw new Error(
      `no ffmpeg: transcoder.ffmpeg.path is empty and @ffmpeg-installer/ffmpeg has no binary for this platform (${String(error)})`,
      { cause: error },
    );
  }
}

export interface FfmpegBuild {
  /** First line of `ffmpeg -version`. */
  readonly version: string;
  /** Encoder names the build lists (`aac`, `libopus` …). */
  readonly encoders: ReadonlySet<string>;
}

/** Runs `ffmpeg -encoders`; rejects with a readable reason when the binary cannot run. */
export function probeFfmpeg(path: string, timeoutMs = 10_000): Promise<FfmpegBuild> {
  return new Promise((resolve, reject) => {
    execFile(path, ['-hide_banner', '-encoders'], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`cannot run ffmpeg at ${path}: ${error.message.trim()} ${stderr.trim()}`.trim()));
        return;
      }
      // Lines look like " A..... aac                  AAC (Advanced Audio Coding)".
      const encoders = new Set<string>();
      for (const line of stdout.split('\n')) {
        const match = /^\s*A[.A-Z]{5}\s+(\S+)/.exec(line);
        if (match) encoders.add(match[1]!);
      }
      execFile(path, ['-version'], { timeout: timeoutMs }, (_error, versionOut) =>
        resolve({ version: versionOut.split('\n')[0]?.trim() ?? 'unknown', encoders }),
      );
    });
  });
}
