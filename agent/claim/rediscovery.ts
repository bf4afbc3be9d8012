/**
 * Rediscovery: at start, then every rediscovery interval, looks through Port's running runs of
 * the installation for orphans (not written for a lease) and hand-overs (written by a replica
 * that stopped, hand-over.ts), and takes them over (take-over.ts). Which listed run is what is
 * decided by adoption.ts (pure); this loop only reads the lists and orders the take-overs.
 *
 * Who can put a run in these lists: whoever can create or write a run of the installation in
 * Port. What stops a hostile one: see take-over.ts (candidates only, never dispatched, the
 * recorded GitHub run verified before it is read); runs are taken only while there is room to
 * track them (trackingRoom), a hand-over only with room for all of its listed runs.
 */
import { toAgentError } from '../errors.js';
import { outageReason } from '../observability/dependency-health.js';
import type { RunKind } from '../port/claim-api.js';
import { decodeClaimedRun } from '../port/decode-claimed-run.js';
import { decideListed, handOverLockOf } from './adoption.js';
import { type ClaimIntakeState, portFailed, sleep } from './intake-state.js';
import { type ListedRun, adopt, handOverLabelOf, holdAdopted, takeLock } from './take-over.js';

/** Looks through Port's running runs of the installation for orphans and hand-overs, and takes them over: at start, then every rediscovery interval. */
export async function rediscoveryLoop(s: ClaimIntakeState): Promise<void> {
  const { settings, clock } = s;
  do {
    // After an outage of Port every replica's leases look stale: the owners renew them first.
    if (clock.now() - s.lastPortFailureMs < settings.leaseMs / 2) continue;
    for (const kind of settings.kinds) {
      try {
        await rediscover(s, kind);
      } catch (raw) {
        const err = toAgentError(raw);
        // /readyz names the failure's kind, not Port's answer (outageReason); the log line has it.
        portFailed(s, outageReason(err));
        s.log.warn(`looking for orphaned ${kind} runs failed: ${err.message}`);
      }
    }
  } while (!s.stopping && (await sleep(s, settings.rediscoveryIntervalMs * (0.75 + s.random() * 0.5))));
}

/**
 * Port's running runs of the installation, decoded. The list shows at most 1,000 runs of the
 * organization (no cursor): when it comes back full, each action seen (in it, or held here)
 * is listed by itself too, so thousands of runs over several actions are all seen.
 */
async function listed(s: ClaimIntakeState, kind: RunKind): Promise<Map<string, ListedRun>> {
  const { claimApi, settings } = s;
  const out = new Map<string, ListedRun>();
  const add = (raws: unknown[]) => {
    for (const raw of raws) {
      const decoded = decodeClaimedRun(raw, kind);
      // Listed runs without an updatedAt cannot show how long they were left alone.
      if (decoded.kind === 'run' && decoded.record) out.set(decoded.run.runId, decoded);
    }
  };
  const first = await claimApi.listActive(kind, settings.installationId);
  add(first);
  if (first.truncated && kind === 'action') {
    const actions = new Set([...out.values()].map((d) => d.fairnessKey));
    for (const h of s.held.all()) if (h.kind === 'action') actions.add(h.fairnessKey);
    for (const action of actions) if (!s.stopping) add(await claimApi.listActive(kind, settings.installationId, { action }));
  }
  return out;
}

async function rediscover(s: ClaimIntakeState, kind: RunKind): Promise<void> {
  const { settings, clock, held, locks, ownLocks, log, trackingRoom } = s;
  const runs = await listed(s, kind);
  for (const [id, l] of locks) if (clock.now() - l.atMs > settings.leaseMs) locks.delete(id);
  const decide = (d: ListedRun) =>
    decideListed(d.record!, { nowMs: clock.now(), leaseMs: settings.leaseMs, held: held.has(d.run.runId), locks });
  const orphans: Array<{ decoded: ListedRun; reason: string }> = [];
  const lockIds = new Set<string>();
  const waitingForLock: ListedRun[] = [];
  for (const d of runs.values()) {
    const id = d.run.runId;
    const own = ownLocks.get(id);
    if (own) {
      // A lock run taken here while the list did not show it: held now, if nobody wrote to it since.
      ownLocks.delete(id);
      if (
        d.record!.updatedAt === own.mark &&
        d.record!.statusLabel === s.takeOverLabel &&
        clock.now() - own.atMs < settings.leaseMs / 2 &&
        !held.has(id)
      )
        holdAdopted(s, kind, d, d.record!, 'handed over at a shutdown (its hand-over taken here)', own.atMs);
      continue;
    }
    const decision = decide(d);
    if (decision?.kind === 'lock') lockIds.add(decision.lockRunId);
    if (decision?.kind === 'lock' || decision?.kind === 'member') waitingForLock.push(d);
    else if (decision?.kind === 'orphan') orphans.push({ decoded: d, reason: decision.reason });
  }
  // Hand-overs first: one take-over each (its lock run) for all the runs it handed over. A lock
  // run the list shows is among the orphans (it names itself): taken over there, as a lock.
  // A hand-over goes whole to whoever takes its lock: taken only with room for every run of it
  // the list shows, else left to a replica with room (or, if none has, to the lease).
  const members = new Map<string, number>();
  for (const d of waitingForLock) members.set(handOverLockOf(d.record!)!, (members.get(handOverLockOf(d.record!)!) ?? 0) + 1);
  const fits = (lockId: string) => trackingRoom() >= (members.get(lockId) ?? 0) + 1;
  const shownLocks = orphans.filter((o) => handOverLabelOf(o.decoded) === o.decoded.run.runId);
  const hiddenLocks = [...lockIds].filter((id) => !runs.has(id) && fits(id));
  for (const o of shownLocks.filter((x) => !fits(x.decoded.run.runId))) {
    log.info(
      `hand-over ${o.decoded.run.runId} (${members.get(o.decoded.run.runId) ?? 0} more runs) does not fit in this replica's room; left to another replica`,
    );
    orphans.splice(orphans.indexOf(o), 1);
    shownLocks.splice(shownLocks.indexOf(o), 1);
  }
  // A lock run the list shows without its hand-over label was taken (or ended): its hand-over is someone else's.
  for (const id of lockIds)
    if (runs.has(id) && !shownLocks.some((o) => o.decoded.run.runId === id)) locks.set(id, { state: 'lost', atMs: clock.now() });
  await Promise.all([
    ...shownLocks.map((o) =>
      adopt(s, kind, o.decoded, o.reason).catch((err: unknown) =>
        log.warn(`taking over hand-over ${o.decoded.run.runId} failed: ${toAgentError(err).message}`),
      ),
    ),
    ...hiddenLocks.map((id) =>
      takeLock(s, id).catch((err: unknown) => log.warn(`taking over hand-over ${id} failed: ${toAgentError(err).message}`)),
    ),
  ]);
  let taken = 0;
  const rest = orphans.filter((o) => !shownLocks.includes(o));
  for (const d of waitingForLock) {
    if (s.stopping || trackingRoom() <= 0) break;
    const decision = decide(d);
    if (decision?.kind === 'orphan') rest.push({ decoded: d, reason: decision.reason });
    if (decision?.kind !== 'member') continue;
    holdAdopted(s, kind, d, d.record!, 'handed over at a shutdown', Date.parse(d.record!.updatedAt ?? '') || clock.now(), true);
    taken++;
  }
  if (taken > 0)
    log.info(`took over ${taken} ${kind} run(s) handed over at a shutdown, without a write each: their hand-over was taken here`);
  for (let i = 0; i < rest.length && !s.stopping; i += 32) {
    const batch = rest.slice(i, i + 32).slice(0, Math.max(0, trackingRoom()));
    if (batch.length === 0) break;
    await Promise.all(
      batch.map((o) =>
        adopt(s, kind, o.decoded, o.reason).catch((err: unknown) =>
          log.warn(`taking over run ${o.decoded.run.runId} failed: ${toAgentError(err).message}`),
        ),
      ),
    );
  }
}
