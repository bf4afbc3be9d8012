// CPU time a process has used, from /proc/<pid>/stat (Linux): user + system, its own and its
// waited-for children's. A rate (dispatches/s) depends on how busy the machine is; CPU time per
// unit of work travels between machines far better, and it separates the agent's cost from the
// broker's and the simulators' that share its cores.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  /** User-mode ticks (field 14 of /proc/<pid>/stat). */
  utime: number;
  /** Kernel-mode ticks (field 15). */
  stime: number;
  /** Waited-for children's user and kernel ticks (fields 16, 17). */
  cutime: number;
  cstime: number;
}

/**
 * Parses the text of /proc/<pid>/stat (proc(5)). The second field is the command name in
 * parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): CpuTimes {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  // After ')': field 3 (state) is index 0, so field k is index k - 3.
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (k: number) => {
    const v = Number(f[k - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/<pid>/stat: field ${k} is ${JSON.stringify(f[k - 3])}`);
    return v;
  };
  return { utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/** Total CPU milliseconds (own + children, user + system) from ticks of `ticksPerS` (CLK_TCK). */
export const cpuMs = (t: CpuTimes, ticksPerS: number) => ((t.utime + t.stime + t.cutime + t.cstime) * 1000) / ticksPerS;

let clockTicks: number | undefined;
/** sysconf(_SC_CLK_TCK) through getconf; 100 (every Linux architecture's USER_HZ) if it is missing. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU ms used so far by process `pid`; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return cpuMs(parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')), ticksPerSecond());
  } catch {
    return undefined;
  }
}

/** This process (the bench: the simulators, the publisher, the harness), including any children it waited for. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms each named process spent between start() and stop(). */
export interface CpuMeter {
  stop(): Record<string, number>;
}

/** Starts metering the given processes: a pid is read from /proc, `'self'` is this process. */
export function meterCpu(who: Record<string, number | 'self' | undefined>): CpuMeter {
  const read = (p: number | 'self' | undefined) => (p === 'self' ? selfCpuMs() : p === undefined ? undefined : processCpuMs(p));
  const start = Object.fromEntries(Object.entries(who).map(([k, p]) => [k, read(p)]));
  return {
    stop: () =>
      Object.fromEntries(
        Object.entries(who).map(([k, p]) => {
          const a = start[k];
          const b = read(p);
          return [k, a === undefined || b === undefined ? NaN : b - a];
        }),
      ),
  };
}
