// Small, pure helpers for the benchmark's numbers and its table.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** A plain-text table: first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A figure taken from several runs of a phase: its median and its spread (lowest, highest). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (the mean of the middle two for an even count) and range of the finite values; NaN for none. */
export function spread(values: number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

/** Whether a larger value of a figure is better (a rate) or worse (a latency, a cost). */
export type Better = 'higher' | 'lower';

/** The worst of the runs: the lowest rate, the highest latency or cost. */
export const worst = (s: Spread, better: Better) => (better === 'higher' ? s.min : s.max);

/** "435/s (414–526, 3 runs)": the unit follows the median; a single run prints "12 ms (1 run)". */
export function formatSpread(s: Spread, digits = 1, unit = ''): string {
  const f = (x: number) => String(round(x, digits));
  if (s.n <= 1) return `${f(s.median)}${unit} (${s.n} run)`;
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)}, ${s.n} runs)`;
}
