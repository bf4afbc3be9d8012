// The bench's phases and how each is repeated. A phase is one scenario on its own topic and
// simulators; `make bench` runs each `BENCH_REPEAT` times (3 by default) and reports every
// figure as the median of its runs with their spread, and in the JSON line the median and the
// worst run. To add a phase: write a `BenchPhase` in its own file and add it to PHASES in bench.ts.
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import type { CompiledAgent } from './compiled-agent.js';
import { meterCpu } from './process-cpu.js';
import { type Better, type Spread, formatSpread, spread, worst } from './stats.js';

export type WithAgent = <T>(
  stack: LocalStack,
  overrides: Record<string, Record<string, unknown>>,
  fn: (agent: CompiledAgent) => Promise<T>,
) => Promise<T>;

/** What a phase gets from the harness. */
export interface BenchContext {
  broker: KafkaBrokerInfo;
  /** A count scaled by BENCH_SCALE (at least 10). */
  n: (x: number) => number;
  say: (line: string) => void;
  until: (what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs?: number, onTick?: () => void) => Promise<void>;
  /** Starts the compiled agent on the stack (the image's runtime), runs fn, stops both. */
  withAgent: WithAgent;
  /** Meters CPU ms from now: the agent process, the bench process (both simulators, the publisher), the broker JVM. */
  cpu: (agent: CompiledAgent) => { stop(): CpuShare };
}

/** CPU milliseconds each process spent over a measured window. */
export interface CpuShare {
  agent: number;
  /** This process: the GHES and Port simulators, the Kafka publisher, the harness. */
  bench: number;
  broker: number;
}

export interface BenchPhase<R> {
  /** Its BENCH_ONLY name. */
  name: string;
  /** 'repeat' runs BENCH_REPEAT times; 1 for a reference or a count that does not vary. */
  runs: 'repeat' | 1;
  run(ctx: BenchContext): Promise<R>;
  /** Its rows of the table and its keys of the JSON line, from all its runs (and the earlier phases' runs, by name). */
  report(results: R[], earlier: Record<string, unknown[]>): { rows: string[][]; json: Record<string, number | string>; notes?: string[] };
}

/** A CPU share divided by a count of work (dispatches, runs, messages). */
export const perUnit = (cpu: CpuShare, units: number): CpuShare => ({
  agent: cpu.agent / units,
  bench: cpu.bench / units,
  broker: cpu.broker / units,
});

export function cpuMeterFor(brokerPid: () => number | undefined) {
  return (agent: CompiledAgent) => {
    const m = meterCpu({ agent: agent.pid, bench: 'self', broker: brokerPid() });
    return { stop: () => m.stop() as unknown as CpuShare };
  };
}

/** One figure over a phase's runs. */
export function figure<R>(results: R[], get: (r: R) => number): Spread {
  return spread(results.map(get));
}

/** `{key: median, key_worst: worst}` for the JSON line. */
export function jsonFigure(key: string, s: Spread, better: Better, digits = 1): Record<string, number> {
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
  return { [key]: r(s.median), [`${key}_worst`]: r(worst(s, better)) };
}

/** The CPU row of a phase: agent, simulators and broker per unit of work, each median (range). */
export function cpuRow(label: string, unit: string, results: { cpu: CpuShare }[]): string[] {
  const f = (k: keyof CpuShare) =>
    formatSpread(
      figure(results, (r) => r.cpu[k]),
      3,
      ' ms',
    );
  return [
    label,
    `agent ${f('agent')} per ${unit}; bench process (simulators, publisher) ${f('bench')}; broker ${f('broker')}`,
    '(measured)',
    '-',
  ];
}

export { formatSpread, spread };
