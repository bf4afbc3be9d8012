import type { RunKind } from '../port/claim-api.js';

/** A run this replica holds: claimed and being dispatched, or acknowledged (or adopted) and tracked. */
export interface HeldRun {
  runId: string;
  kind: RunKind;
  /** The action identifier or node uid (fairness). */
  fairnessKey: string;
  /** 'dispatching' until its dispatch is recorded, 'acknowledging' while the ack is on its way, 'tracking' after. */
  phase: 'dispatching' | 'acknowledging' | 'tracking';
  acked: boolean;
  /** Another worker has it (409), or its claim ran out before the ack: not acknowledged at the end either. */
  lettingGo?: boolean;
  /** When the claim that handed it out was sent (epoch ms); its visibility runs from there. */
  claimedAtMs: number;
  /** Last write Port accepted for it (epoch ms): the lease it holds on the run (leases.ts). */
  lastWriteMs: number;
  /** What a hand-over to another replica must keep (a node run's output is rebuilt from it). */
  link?: string;
  externalRunId?: string;
  /** Aborts its work (tracking, dispatch); `owned` also cancels its unsent reports. */
  work: AbortController;
  owned: AbortController;
}

/** The runs of the HTTPS intake in this replica's hands. */
export class HeldRuns {
  private readonly runs = new Map<string, HeldRun>();

  add(run: HeldRun): void {
    this.runs.set(run.runId, run);
  }
  get(runId: string): HeldRun | undefined {
    return this.runs.get(runId);
  }
  has(runId: string): boolean {
    return this.runs.has(runId);
  }
  delete(runId: string): void {
    this.runs.delete(runId);
  }
  get size(): number {
    return this.runs.size;
  }
  all(): HeldRun[] {
    return [...this.runs.values()];
  }
  /** Runs not yet past their dispatch, of one kind, per fairness key. */
  waitingByKey(kind: RunKind): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.runs.values())
      if (r.kind === kind && r.phase === 'dispatching') counts.set(r.fairnessKey, (counts.get(r.fairnessKey) ?? 0) + 1);
    return counts;
  }
  dispatching(): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.phase === 'dispatching') n++;
    return n;
  }
}
