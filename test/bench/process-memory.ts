// Resident memory of a process from /proc (Linux): current and the kernel's own high-water
// mark (VmHWM), so a peak between two samples is not missed. RSS splits into anonymous memory
// (V8's heap, malloc) and file-backed pages (mostly the node binary's own code and data, clean
// and shared with every other process running that binary, and reclaimable by the kernel).
import { readFileSync } from 'node:fs';

export function memoryOf(pid: number): { rssMb: number; peakMb: number; anonMb: number; fileMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return undefined;
  }
}
