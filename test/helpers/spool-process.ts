import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
export const SPOOL_BIN = join(REPO_ROOT, 'bin', 'spool.js');

type LogLine = Record<string, unknown>;

/** `spool start` as a real child process, with its JSON log lines collected. */
export class SpoolProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<{
    predicate: (line: LogLine) => boolean;
    resolve: (line: LogLine) => void;
  }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `prefix` runs Spool under another command that execs it, e.g. `['ip', 'netns', 'exec', NS]` for a
   * Spool inside a test network namespace.
   */
  constructor(
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; prefix?: readonly string[] } = {},
  ) {
    const command = [...(options.prefix ?? []), process.execPath, SPOOL_BIN, 'start', ...args];
    this.child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      for (const waiter of this.waiters) {
        if (waiter.predicate(line)) {
          this.waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => this.stderr.push(text));
  }

  /** Resolves with the first log line (past or future) matching, or rejects after timeoutMs. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs = 15000): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; stdout:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr.join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add({
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      this.exited.then(() => {
        if (this.waiters.has(waiter)) return;
      });
    });
  }

  /** Waits for "Spool started" and returns the HTTP port it listens on. */
  async started(timeoutMs = 15000): Promise<number> {
    const line = await this.waitForLine((l) => String(l.msg).startsWith('Spool started'), timeoutMs);
    return line.httpPort as number;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
