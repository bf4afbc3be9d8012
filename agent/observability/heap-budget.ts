/**
 * What the agent's V8 heap must hold, measured by `make bench` (heap snapshots with 1,000 and
 * 10,000 runs in flight): about 19 MB for code and clients plus 4.4 KB per run in flight. The
 * constants are rounded up. A heap limit near that live size means back-to-back full GCs, then
 * a crash with "JavaScript heap out of memory", so the agent says so at start.
 */
export const BASE_HEAP_MB = 24;
export const HEAP_KB_PER_RUN = 5;

export function liveHeapMb(maxInflightRuns: number): number {
  return BASE_HEAP_MB + (maxInflightRuns * HEAP_KB_PER_RUN) / 1024;
}

/** Twice the live size (room for a backlog's garbage), in steps of 16 MB. */
export function recommendedHeapMb(maxInflightRuns: number): number {
  return Math.ceil((2 * liveHeapMb(maxInflightRuns)) / 16) * 16;
}

/**
 * The old generation's limit in MB: what runs in flight fill, and what --max-old-space-size sets.
 * V8's heap_size_limit adds the young generation on top (3 semi-spaces), and Node 24's default
 * semi-space is four times Node 20's: --max-old-space-size=128 reports 176 MB on Node 20 but
 * 320 MB on Node 24, which would hide a heap far too small. The flag, when given (NODE_OPTIONS
 * first, then the command line, the last one winning as in V8), is the exact figure; without it
 * V8's default old space is gigabytes and heap_size_limit is close enough.
 */
export function oldSpaceLimitMb(heapSizeLimitMb: number, nodeFlags: readonly string[]): number {
  let mb: number | undefined;
  nodeFlags.forEach((flag, i) => {
    const m = /^--max[-_]old[-_]space[-_]size(?:=(.*))?$/.exec(flag);
    const value = m && Number(m[1] ?? nodeFlags[i + 1]);
    if (value && value > 0) mb = value;
  });
  return mb ?? heapSizeLimitMb;
}

/** A warning when the heap limit leaves less than a quarter over what `maxInflightRuns` keeps live. */
export function heapBudgetWarning(heapLimitMb: number, maxInflightRuns: number): string | undefined {
  const live = liveHeapMb(maxInflightRuns);
  if (heapLimitMb >= live * 1.25) return undefined;
  return (
    `the V8 heap limit (${Math.round(heapLimitMb)} MB) is too small for limits.maxInflightRuns=${maxInflightRuns} ` +
    `(about ${Math.round(live)} MB live at that many runs): raise it with NODE_OPTIONS=--max-old-space-size=${recommendedHeapMb(maxInflightRuns)} ` +
    `(Helm: nodeHeap.maxOldSpaceMb, with resources.limits.memory above it) or lower limits.maxInflightRuns`
  );
}
