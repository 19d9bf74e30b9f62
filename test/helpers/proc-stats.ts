/**
 * Resource use of processes and of the machine, read from Linux /proc (benchmarks only).
 * CPU figures are clock ticks; `CLK_TCK` converts them to seconds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat utime and stime (`getconf CLK_TCK`). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
}

/** utime + stime of the process (all its threads) in clock ticks; undefined once it is gone. */
export function cpuTicks(pid: number): number | undefined {
  return ticksOf(readProc(`/proc/${pid}/stat`));
}

/** utime + stime of one thread of a process (the main thread: tid = pid) in clock ticks. */
export function threadCpuTicks(pid: number, tid: number): number | undefined {
  return ticksOf(readProc(`/proc/${pid}/task/${tid}/stat`));
}

/** stime alone (time in the kernel on the process's behalf: syscalls), in clock ticks. */
export function systemTicks(pid: number): number | undefined {
  return statFields(readProc(`/proc/${pid}/stat`))?.stime;
}

function ticksOf(stat: string | undefined): number | undefined {
  const fields = statFields(stat);
  return fields === undefined ? undefined : fields.utime + fields.stime;
}

function statFields(stat: string | undefined): { utime: number; stime: number } | undefined {
  if (stat === undefined) return undefined;
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { utime: Number(fields[11]), stime: Number(fields[12]) };
}

/** A field of /proc/PID/status in kB (VmRSS, VmHWM …); undefined once the process is gone. */
export function statusKb(pid: number, field: string): number | undefined {
  const status = readProc(`/proc/${pid}/status`);
  const match = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}

export const rssKb = (pid: number): number | undefined => statusKb(pid, 'VmRSS');

/** Proportional set size in kB: shared pages (a static binary's text) split among the processes sharing them. */
export function pssKb(pid: number): number | undefined {
  const rollup = readProc(`/proc/${pid}/smaps_rollup`);
  const match = rollup === undefined ? null : /^Pss:\s+(\d+) kB/m.exec(rollup);
  return match ? Number(match[1]) : undefined;
}

/** Sum of cpuTicks over processes still alive. */
export function sumCpuTicks(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += cpuTicks(pid) ?? 0;
  return total;
}

/** Sum of rssKb over processes still alive. */
export function sumRssKb(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += rssKb(pid) ?? 0;
  return total;
}

/** The machine's CPU time (all cores) from /proc/stat, in clock ticks. */
export interface MachineCpu {
  total: number;
  idle: number;
}

export function machineCpu(): MachineCpu {
  const line = (readProc('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu ')) ?? 'cpu';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const total = values.slice(0, 8).reduce((sum, value) => sum + (value || 0), 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { total, idle };
}

/** Fraction (0..1) of all cores busy between two machineCpu() readings. */
export function busyFraction(from: MachineCpu, to: MachineCpu): number {
  const total = to.total - from.total;
  return total > 0 ? 1 - (to.idle - from.idle) / total : 0;
}

/** Ports in LISTEN state on IPv4 loopback or any address (/proc/net/tcp). */
export function listeningTcpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const line of (readProc('/proc/net/tcp') ?? '').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A') continue; // TCP_LISTEN
    const port = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
    if (Number.isFinite(port)) ports.add(port);
  }
  return ports;
}

export function cpuModel(): string {
  const cpuinfo = readProc('/proc/cpuinfo') ?? '';
  return /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}
