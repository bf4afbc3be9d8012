import type { Check, CheckOutcome, Part } from './types.js';

export interface CheckResult extends CheckOutcome {
  id: string;
}

/**
 * Runs the checks in order, one at a time (each prints as soon as it is known), skipping those
 * of a disabled part and those whose needs did not pass. A check that throws or outlasts
 * `timeoutMs` fails with what it said. Returns every result; the caller sets the exit code.
 */
export async function runChecks<C>(
  checks: Check<C>[],
  ctx: C,
  opts: { disabled?: Partial<Record<Part, string>>; print: (line: string) => void; timeoutMs?: number },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const width = Math.max(...checks.map((c) => c.id.length));
  for (const check of checks) {
    let outcome: CheckOutcome;
    const off = opts.disabled?.[check.part];
    const unmet = (check.needs ?? []).filter((id) => results.find((r) => r.id === id)?.status !== 'pass');
    if (off) outcome = { status: 'skip', message: off };
    else if (unmet.length) outcome = { status: 'skip', message: `needs ${unmet.join(', ')} to pass first` };
    else outcome = await runOne(check, ctx, opts.timeoutMs ?? 30_000);
    const result = { id: check.id, ...outcome };
    results.push(result);
    opts.print(formatResult(result, width));
  }
  return results;
}

async function runOne<C>(check: Check<C>, ctx: C, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(ctx),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              status: 'fail',
              message: `no answer within ${timeoutMs / 1000} s`,
              fix: 'check the network path (firewall, proxy, NetworkPolicy) to this dependency',
            }),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    return { status: 'fail', message: (err as Error).message ?? String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** "PASS  github.version   GHES 3.21.0: …" and, for a failure, " → fix: …" on the same line. */
export function formatResult(r: CheckResult, width = r.id.length): string {
  const fix = r.status === 'fail' && r.fix ? ` → fix: ${r.fix}` : '';
  return `${r.status.toUpperCase().padEnd(4)}  ${r.id.padEnd(width)}  ${r.message}${fix}`;
}

/** The last line: how many passed, and which failed (never "N passed, N failed", which CI reads as a test summary). */
export function summarize(results: CheckResult[]): string {
  const failed = results.filter((r) => r.status === 'fail').map((r) => r.id);
  const skipped = results.filter((r) => r.status === 'skip').length;
  const passed = results.filter((r) => r.status === 'pass').length;
  const head = `check: ${passed} of ${results.length} checks passed`;
  return failed.length
    ? `${head}; failing: ${failed.join(', ')}${skipped ? ` (${skipped} skipped)` : ''}`
    : `${head}${skipped ? ` (${skipped} skipped)` : ''}; ready for a first run`;
}
