/**
 * Child processes of the benchmarks: every one started here is killed if the benchmark exits or is
 * interrupted, so a failed run leaves no Spool, publisher or ffmpeg behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { FFMPEG } from './media-tools.js';
import { REPO_ROOT } from './spool-process.js';

const children = new Set<ChildProcess>();

export const isAlive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

process.once('exit', () => {
  for (const child of children) if (isAlive(child)) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) if (isAlive(child)) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Kills `child` with the benchmark; returns it. */
export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

abstract class BenchChild {
  readonly exited: Promise<unknown>;

  constructor(readonly child: ChildProcess) {
    trackChild(child);
    this.exited = once(child, 'exit').catch(() => undefined); // a spawn error: nothing to wait for
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return isAlive(this.child);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Signals, then SIGKILL after graceMs; resolves once it exited. */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A node process (Spool, a publisher script) with its stdout JSON lines and its stderr lines kept. */
export class NodeChild extends BenchChild {
  readonly lines: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];

  /** `args`: node flags, then the script and its arguments. */
  constructor(args: readonly string[]) {
    super(spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        this.lines.push({ msg: text });
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => this.stderr.push(text));
  }

  /** The stdout lines with `event: name` (the publisher scripts' reports). */
  events(name: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.event === name);
  }
}

/** An ffmpeg process with the last 4 kB of its stderr kept, for the error messages. */
export class FfmpegChild extends BenchChild {
  stderr = '';

  constructor(args: readonly string[]) {
    super(
      spawn(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-nostats', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    this.child.stderr!.on(
      'data',
      (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4096)),
    );
  }
}

/** Sum of every sample of a Prometheus metric (all label sets) in a /metrics text. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}
