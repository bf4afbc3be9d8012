/**
 * Keeping leases: after the ack Port never offers a run again, so this replica holds it by
 * writing to it. Every write Port accepts refreshes the run's `updatedAt`; a run not written for a
 * whole lease is an orphan any replica may take over (adoption.ts).
 *
 * Who can make the intake write here: nobody from outside. Only runs in this replica's hands
 * (acknowledged or taken over, and still owned) get a renewal, and it is an empty PATCH: it
 * changes nothing in the run but its `updatedAt`.
 */
import { type ClaimIntakeState, sleep } from './intake-state.js';

/** Keeps the lease of every tracked run: a run Port has not accepted a write for in a third of the lease gets an empty PATCH. */
export async function leaseLoop(s: ClaimIntakeState): Promise<void> {
  const { settings, deps } = s;
  while (await sleep(s, settings.leaseMs / 6)) {
    const now = s.clock.now();
    for (const h of s.held.all()) {
      if (h.phase !== 'tracking' || h.owned.signal.aborted || now - h.lastWriteMs < settings.leaseMs / 3) continue;
      h.lastWriteMs = now; // one renewal in the queue at a time; the delivery sets it again
      void deps.reporter.send(h.runId, { kind: 'patch', patch: {} }, h.owned.signal).catch(() => undefined);
    }
  }
}

/** A PATCH of the run Port accepted (the reporter tells): the run's lease is renewed. */
export function renewed(s: ClaimIntakeState, runId: string): void {
  const h = s.held.get(runId);
  if (h) h.lastWriteMs = s.clock.now();
}
