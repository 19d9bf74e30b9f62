import { execFile } from 'node:child_process';

export interface ScriptResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the script could not run at all (missing, not executable). */
  readonly spawnError?: string;
  readonly durationMs: number;
}

const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Runs a hook script with its arguments as argv — never through a shell, so a stream named
 * `$(touch x)` is just a string. Never rejects: every outcome is described in the result.
 */
export function runScript(script: string, args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    execFile(
      script,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        shell: false,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const failure = error as
          (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals }) | null;
        const spawnFailed = typeof failure?.code === 'string';
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          timedOut: failure?.killed === true && failure.signal === 'SIGKILL',
          stdout: String(stdout),
          stderr: String(stderr),
          ...(spawnFailed ? { spawnError: `${failure!.code}: ${failure!.message}` } : {}),
          durationMs: Date.now() - startedAt,
        });
      },
    );
  });
}
