// A broker whose owning Node process was killed outright (kill -9, OOM) can outlive it.
// Each broker records who owns it; the next start reaps brokers whose owner is gone, so a
// crashed run never leaves ports, memory or disk behind for the next one.
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PID_FILE = 'broker.pid.json';

export interface PidRecord {
  jvmPid: number;
  ownerPid: number;
  dataDir: string;
}

export function writePidRecord(dataDir: string, record: PidRecord): void {
  writeFileSync(join(dataDir, PID_FILE), JSON.stringify(record) + '\n');
}

export function removePidRecord(dataDir: string): void {
  rmSync(join(dataDir, PID_FILE), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Pids get recycled: only kill a process whose command line names this broker's data dir.
function isOurJvm(record: PidRecord): boolean {
  try {
    const cmdline = readFileSync(`/proc/${record.jvmPid}/cmdline`, 'utf8');
    return cmdline.includes(record.dataDir);
  } catch {
    return false;
  }
}

export interface ReapResult {
  killed: number[];
  removed: string[];
}

/**
 * Kill brokers under baseDir whose owner process is gone and delete their data dirs.
 * Dirs without a pid record are removed only once clearly abandoned (a concurrent start may
 * be formatting one right now).
 */
export function reapLeftoverBrokers(baseDir: string, abandonedAfterMs = 10 * 60_000): ReapResult {
  const result: ReapResult = { killed: [], removed: [] };
  if (!existsSync(baseDir)) return result;
  for (const entry of readdirSync(baseDir)) {
    const dir = join(baseDir, entry);
    let record: PidRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, PID_FILE), 'utf8')) as PidRecord;
    } catch {
      record = undefined;
    }
    if (record) {
      if (record.ownerPid !== process.pid && isAlive(record.ownerPid)) continue;
      if (record.ownerPid === process.pid) continue;
      if (isAlive(record.jvmPid) && isOurJvm(record)) {
        try {
          process.kill(record.jvmPid, 'SIGKILL');
          result.killed.push(record.jvmPid);
        } catch {
          // already gone
        }
      }
    } else {
      let ageMs: number;
      try {
        ageMs = Date.now() - statSync(dir).mtimeMs;
      } catch {
        continue;
      }
      if (ageMs < abandonedAfterMs) continue;
    }
    rmSync(dir, { recursive: true, force: true });
    result.removed.push(dir);
  }
  return result;
}
