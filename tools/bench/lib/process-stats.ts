/** Memory and CPU time of other processes (the brokers under a benchmark), read from Linux's /proc. */
import { readFileSync } from 'node:fs';

/** The resident set size of process `pid` in bytes, or undefined when it cannot be read (not Linux, process gone). */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux platform Node runs on). */
const USER_HZ = 100;

/**
 * CPU time (user + system) process `pid` has used so far, in microseconds, or undefined when it
 * cannot be read. Its resolution is one clock tick (10 ms): difference it over seconds, not
 * milliseconds.
 */
export function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields count from its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined;
    return ((userTicks + systemTicks) * 1e6) / USER_HZ;
  } catch {
    return undefined;
  }
}

/**
 * Samples the RSS of a set of processes on an interval and keeps the largest value seen per
 * process since the last `reset()`. The timer does not keep the process alive.
 */
export class RssSampler {
  private readonly maxByPid = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: () => readonly number[],
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Forgets the maxima (a new phase starts) and takes a sample now. */
  reset(): void {
    this.maxByPid.clear();
    this.sample();
  }

  /** The largest RSS of any sampled process since the last reset, in bytes (0 before any sample). */
  get maxBytes(): number {
    return Math.max(0, ...this.maxByPid.values());
  }

  sample(): void {
    for (const pid of this.pids()) {
      const bytes = rssBytes(pid);
      if (bytes !== undefined) this.maxByPid.set(pid, Math.max(bytes, this.maxByPid.get(pid) ?? 0));
    }
  }
}
