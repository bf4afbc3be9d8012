import { AgentError, toAgentError } from '../errors.js';
import { outageReason } from '../observability/dependency-health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ClaimApi, RunKind } from '../port/claim-api.js';
import { type ClaimedRun, decodeClaimedRun } from '../port/decode-claimed-run.js';
import type { PortRunApi } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import { guardJob } from '../run/poison-guard.js';
import type { MessageProcessor, PreparedRun } from '../run/process-message.js';
import { LeaseExpired, type RunContext } from '../run/run-scope.js';
import type { PortRun } from '../types/port-run.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import { type LockState, decideListed, handOverLabel, handOverLockOf, orphanReason } from './adoption.js';
import { saturatedKeys } from './fairness.js';
import { type HeldRun, HeldRuns } from './held-runs.js';

export interface ClaimIntakeSettings {
  installationId: string;
  /** The kinds of runs claimed: action runs, and workflow-node runs unless turned off. */
  kinds: RunKind[];
  batchSize: number;
  intervalMs: number;
  visibilityTimeoutMs: number;
  maxSharePercent: number;
  leaseMs: number;
  rediscoveryIntervalMs: number;
}

export interface ClaimIntake {
  /** The first claims: a 404 or 403 stops the start (AgentError 'config', exit 2). Then claims keep coming. */
  start(): Promise<void>;
  /** No more claims; runs being dispatched are let go (Port offers them again), tracked ones handed over. */
  stop(opts?: { deadlineMs?: number }): Promise<void>;
  /** Runs in this replica's hands (claimed, or acknowledged and tracked). */
  held(): number;
  /** Of those, the runs not yet past their dispatch. */
  dispatching(): number;
  /** Why the HTTPS intake is not working, for /readyz (empty when it is). */
  notReady(): string[];
  /** The reporter tells of every PATCH Port accepted: it renews the lease of the run (log lines may not touch the run's updatedAt). */
  delivered(runId: string): void;
}

/** Hand-over writes at a shutdown in flight at once: thousands of runs do not flood Port (or the deadline's last seconds). */
const HAND_OVER_CONCURRENCY = 16;

/** How long /readyz tolerates failing claims before it reports them. */
const CLAIM_FAILURE_GRACE_MS = 30_000;

/**
 * The HTTPS intake: Port's claim protocol for the GitHub Ocean backend (INTEGRATION_ACTION runs)
 * and Port Workflows' node runs, a sibling of the Kafka consumer feeding the same processor.
 *
 * Where the truth lives, and why nothing is lost or done twice (README "Delivery guarantees"):
 * - A claim hides a run from other claims for `visibilityTimeoutMs`: the run is this replica's
 *   until then. It is dispatched only within the first two thirds of that window (LeaseExpired
 *   otherwise), and acknowledged only once Port's record shows the dispatch (the label written
 *   before the POST, then the link and externalRunId after it), or the run ended. A replica that
 *   dies before the ack leaves a run Port offers again, and whoever claims it resumes it from that
 *   record (processor: resume-before-dispatch), never dispatching twice.
 * - After the ack Port never offers the run again: the replica holds it by writing to it. Every
 *   write Port accepts refreshes the run's `updatedAt`; a quiet run gets an empty PATCH every third
 *   of `leaseMs`. A run not written for a whole lease, or handed over at a clean shutdown, is an
 *   orphan: `rediscover` finds it in Port's list of running runs and takes it over, with a write,
 *   a pause and a re-read that make sure only one replica does (adopt). Only dispatched runs are
 *   ever acknowledged, so a taken-over run is only tracked, never dispatched.
 * - 409 on the ack: another worker has the run (it claimed it after this replica's claim ran
 *   out): it resumes from the record, and this replica lets go. A 409 after an ack of ours that
 *   failed ambiguously (5xx, timeout) while the claim still held is our own ack: kept.
 */
export function createClaimIntake(deps: {
  settings: ClaimIntakeSettings;
  claimApi: ClaimApi;
  port: PortRunApi;
  processor: MessageProcessor;
  reporter: Reporter;
  /** How many more runs may be taken in now (runs in flight, queued reports, the dispatch stage). */
  room: () => number;
  /**
   * How many more runs may be tracked now (runs in flight, queued reports): runs taken over are
   * only tracked, never dispatched, so the dispatch stage does not bound them. `room` when absent.
   */
  trackingRoom?: () => number;
  /** The dispatch stage's size: the buffer whose share fairness bounds per action. */
  dispatchCapacity: number;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  random?: () => number;
  /**
   * This replica's name in its take-over writes (pod name and a random suffix): what makes two
   * take-over writes of one run tell apart when Port stamps both in the same millisecond.
   */
  replicaId?: string;
  guard?: { attempts?: number; baseDelayMs?: number };
}): ClaimIntake {
  const { settings, claimApi, processor, metrics, clock } = deps;
  const log = deps.logger.child({ component: 'claim' });
  const random = deps.random ?? Math.random;
  const takeOverLabel = `Workflow dispatched (taken over by ${deps.replicaId ?? `replica-${Math.floor(random() * 36 ** 6).toString(36)}`})`;
  const trackingRoom = deps.trackingRoom ?? deps.room;
  const held = new HeldRuns();
  const stopController = new AbortController();
  /** Written and re-read around a take-over: long enough for any other replica's write to show. */
  const settleMs = Math.min(5000, Math.max(1000, settings.leaseMs / 20));
  let started = false;
  let stopping = false;
  let active = 0;
  let round = 0;
  let failingSince: { atMs: number; reason: string } | undefined;
  let lastPortFailureMs = -Infinity;
  const loops: Array<Promise<void>> = [];
  /** Hand-overs (by lock run) looked at: taken here or elsewhere (adoption.ts). */
  const locks = new Map<string, LockState>();
  /** Lock runs taken here that no list has shown yet: their take-over write's updatedAt (with takeOverLabel). */
  const ownLocks = new Map<string, { mark: string; atMs: number }>();

  const sleep = (ms: number) => clock.sleep(ms, stopController.signal).then(() => true, () => false);

  function portFailed(reason: string): void {
    lastPortFailureMs = clock.now();
    failingSince ??= { atMs: clock.now(), reason };
    failingSince.reason = reason;
    metrics.claimIntakeUp.set(0);
  }

  /**
   * One claim per kind (alternating which goes first, as Ocean does). 'full': a batch came back
   * full, claim again at once; 'no-room': the agent's hands are full, claim as soon as they are
   * not; 'idle': Port had less than asked, wait the claim interval.
   */
  async function claimRound(): Promise<'full' | 'no-room' | 'idle'> {
    const kinds = round++ % 2 === 0 ? settings.kinds : [...settings.kinds].reverse();
    let full = false;
    for (const kind of kinds) {
      const room = deps.room();
      if (room <= 0) return 'no-room';
      const limit = Math.min(settings.batchSize, room);
      const exclude = saturatedKeys(held.waitingByKey(kind), deps.dispatchCapacity, settings.maxSharePercent);
      const sentAt = clock.now();
      const raws = await claimApi.claim(kind, { installationId: settings.installationId, limit, visibilityTimeoutMs: settings.visibilityTimeoutMs, exclude });
      metrics.claimDuration.observe({ kind }, (clock.now() - sentAt) / 1000);
      if (raws.length > 0) {
        metrics.runsClaimed.inc({ kind }, raws.length);
        log.debug(`claimed ${raws.length} ${kind} run(s)`, { excluded: exclude });
      }
      for (const raw of raws) take(kind, raw, sentAt);
      if (raws.length >= limit) full = true;
    }
    failingSince = undefined;
    metrics.claimIntakeUp.set(1);
    return full ? 'full' : 'idle';
  }

  async function claimLoop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      let outcome: Awaited<ReturnType<typeof claimRound>>;
      try {
        outcome = await claimRound();
        failures = 0;
      } catch (raw) {
        const err = toAgentError(raw);
        // /readyz names the failure's kind, not Port's answer (outageReason); the log line has it.
        portFailed(outageReason(err));
        log.warn(`claiming runs from Port failed: ${err.message}`, { attempt: failures });
        if (!(await sleep(backoffDelay(failures++, { baseMs: settings.intervalMs, capMs: 30_000 }, err.retryAfterMs)))) return;
        continue;
      }
      if (outcome === 'idle' && !(await sleep(settings.intervalMs))) return;
      if (outcome === 'no-room' && !(await sleep(Math.min(100, settings.intervalMs)))) return;
    }
  }

  /** A run Port handed out: decoded, held, and handed to the processor. */
  function take(kind: RunKind, raw: unknown, sentAt: number): void {
    const decoded = decodeClaimedRun(raw, kind);
    if (decoded.kind === 'ignore') {
      processor.count('port-api', 'invalid');
      log.warn(`claimed a run that cannot be read: ${decoded.reason}`);
      return;
    }
    const runId = decoded.kind === 'run' ? decoded.run.runId : decoded.runId;
    // Offered again while still in hand: this replica's claim ran out, it keeps working on it.
    if (held.has(runId)) return;
    // Another agent's organization (github.orgs): not held, not acknowledged, no report. Port
    // offers it again once the claim's visibility timeout passes, to whichever agent claims next.
    if (decoded.kind === 'run' && !processor.servesOrg(decoded.run, { intake: 'port-api', where: { claimed: kind, runId } })) return;
    const h = hold(runId, kind, decoded.fairnessKey, sentAt, { acked: false });
    const ctx: RunContext = {
      intake: 'port-api',
      where: { claimed: kind, runId },
      writtenAtMs: decoded.kind === 'run' && decoded.createdAtMs > 0 ? decoded.createdAtMs : sentAt,
      record: decoded.kind === 'run' ? decoded.record : undefined,
      // Dispatch only while the claim holds with a third of it to spare: the POST, and GHES showing
      // the run, must be done before anyone else can be handed the run.
      dispatchBy: sentAt + (settings.visibilityTimeoutMs * 2) / 3,
      handOff: (d) => handOff(h, d),
    };
    run(h, decoded.kind === 'run' ? processor.job(decoded.run, ctx) : processor.refusal(runId, ctx, decoded.reason, decoded.outcome));
  }

  function hold(runId: string, kind: RunKind, fairnessKey: string, atMs: number, opts: { acked: boolean } & Partial<HeldRun>): HeldRun {
    const h: HeldRun = {
      runId,
      kind,
      fairnessKey,
      phase: opts.acked ? 'tracking' : 'dispatching',
      claimedAtMs: atMs,
      lastWriteMs: atMs,
      work: new AbortController(),
      owned: new AbortController(),
      ...opts,
    };
    held.add(h);
    return h;
  }

  function run(h: HeldRun, job: PreparedRun): void {
    active++;
    guardJob(job, h.work.signal, h.owned.signal, { reporter: deps.reporter, metrics, logger: deps.logger, clock, ...deps.guard })
      // Ended before its hand-off (already final, refused, reported FAILURE): acknowledged so
      // Port does not offer it again. A run let go at shutdown is not: Port offers it again.
      .then(async () => {
        if (!h.acked && !h.lettingGo && !h.work.signal.aborted) await ack(h);
      })
      .catch((err: unknown) => {
        if (err instanceof LeaseExpired) {
          // Not ours any more: its reports not yet sent (a label waiting out an outage) are
          // dropped, so the next claim of it does not queue behind them.
          h.owned.abort();
          metrics.runsAbandoned.inc({ kind: h.kind });
          log.warn(`${err.message}`, { runId: h.runId });
        } else if (!h.work.signal.aborted) {
          log.error(`handling run ${h.runId} failed: ${toAgentError(err).message}`, { runId: h.runId });
        }
      })
      .finally(() => {
        held.delete(h.runId);
        active--;
      });
  }

  /** The run's dispatch is recorded in Port: acknowledge it, and track it while holding its lease. */
  async function handOff(h: HeldRun, dispatched: { link?: string; externalRunId?: string }): Promise<boolean> {
    h.link = dispatched.link;
    h.externalRunId = dispatched.externalRunId;
    // Out of the dispatch stage: its place there is free for the next claim while the ack is on its way.
    h.phase = 'acknowledging';
    if (!h.acked && !(await ack(h))) {
      h.lettingGo = true;
      return false;
    }
    h.phase = 'tracking';
    h.lastWriteMs = Math.max(h.lastWriteMs, clock.now());
    return true;
  }

  /** Acknowledges a claimed run while its claim holds; false when another worker has it (409) or the claim ran out first. */
  async function ack(h: HeldRun): Promise<boolean> {
    const expiresAt = h.claimedAtMs + settings.visibilityTimeoutMs;
    let ambiguous = false;
    for (let attempt = 0; !h.owned.signal.aborted; attempt++) {
      try {
        const result = await claimApi.ack(h.kind, h.runId);
        // A 409 after an ack of ours that may have taken effect, while nobody else could have
        // been handed the run, is our own ack.
        if (result === 'acked' || (ambiguous && clock.now() < expiresAt)) {
          h.acked = true;
          metrics.runsAcknowledged.inc({ kind: h.kind });
          return true;
        }
        metrics.claimConflicts.inc({ kind: h.kind });
        log.warn(`run ${h.runId} was acknowledged by another worker first (409): it resumes the run from Port's record; letting go`, { runId: h.runId });
        return false;
      } catch (raw) {
        const err = toAgentError(raw);
        if (!err.retriable) {
          log.error(`Port refused to acknowledge run ${h.runId}: ${err.message}`, { runId: h.runId });
          return false;
        }
        ambiguous ||= err.status === undefined || err.status >= 500;
        const wait = backoffDelay(attempt, { baseMs: 500, capMs: 10_000 }, err.retryAfterMs);
        if (clock.now() + wait >= expiresAt) {
          metrics.runsAbandoned.inc({ kind: h.kind });
          log.warn(`could not acknowledge run ${h.runId} before its claim ran out (${err.message}): Port offers it again, and whoever takes it resumes it from Port's record`, { runId: h.runId });
          return false;
        }
        if (!(await clock.sleep(wait, h.owned.signal).then(() => true, () => false))) return false;
      }
    }
    return false;
  }

  /** Keeps the lease of every tracked run: a run Port has not accepted a write for in a third of the lease gets an empty PATCH. */
  async function leaseLoop(): Promise<void> {
    while (await sleep(settings.leaseMs / 6)) {
      const now = clock.now();
      for (const h of held.all()) {
        if (h.phase !== 'tracking' || h.owned.signal.aborted || now - h.lastWriteMs < settings.leaseMs / 3) continue;
        h.lastWriteMs = now; // one renewal in the queue at a time; the delivery sets it again
        void deps.reporter.send(h.runId, { kind: 'patch', patch: {} }, h.owned.signal).catch(() => undefined);
      }
    }
  }

  /** Looks through Port's running runs of the installation for orphans and hand-overs, and takes them over: at start, then every rediscovery interval. */
  async function rediscoveryLoop(): Promise<void> {
    do {
      // After an outage of Port every replica's leases look stale: the owners renew them first.
      if (clock.now() - lastPortFailureMs < settings.leaseMs / 2) continue;
      for (const kind of settings.kinds) {
        try {
          await rediscover(kind);
        } catch (raw) {
          const err = toAgentError(raw);
          // /readyz names the failure's kind, not Port's answer (outageReason); the log line has it.
        portFailed(outageReason(err));
          log.warn(`looking for orphaned ${kind} runs failed: ${err.message}`);
        }
      }
    } while (!stopping && (await sleep(settings.rediscoveryIntervalMs * (0.75 + random() * 0.5))));
  }

  /**
   * Port's running runs of the installation, decoded. The list shows at most 1,000 runs of the
   * organization (no cursor): when it comes back full, each action seen (in it, or held here)
   * is listed by itself too, so thousands of runs over several actions are all seen.
   */
  async function listed(kind: RunKind): Promise<Map<string, Extract<ClaimedRun, { kind: 'run' }>>> {
    const out = new Map<string, Extract<ClaimedRun, { kind: 'run' }>>();
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
      for (const h of held.all()) if (h.kind === 'action') actions.add(h.fairnessKey);
      for (const action of actions) if (!stopping) add(await claimApi.listActive(kind, settings.installationId, { action }));
    }
    return out;
  }

  async function rediscover(kind: RunKind): Promise<void> {
    const runs = await listed(kind);
    for (const [id, l] of locks) if (clock.now() - l.atMs > settings.leaseMs) locks.delete(id);
    const decide = (d: Extract<ClaimedRun, { kind: 'run' }>) => decideListed(d.record!, { nowMs: clock.now(), leaseMs: settings.leaseMs, held: held.has(d.run.runId), locks });
    const orphans: Array<{ decoded: Extract<ClaimedRun, { kind: 'run' }>; reason: string }> = [];
    const lockIds = new Set<string>();
    const waitingForLock: Array<Extract<ClaimedRun, { kind: 'run' }>> = [];
    for (const d of runs.values()) {
      const id = d.run.runId;
      const own = ownLocks.get(id);
      if (own) {
        // A lock run taken here while the list did not show it: held now, if nobody wrote to it since.
        ownLocks.delete(id);
        if (d.record!.updatedAt === own.mark && d.record!.statusLabel === takeOverLabel && clock.now() - own.atMs < settings.leaseMs / 2 && !held.has(id)) holdAdopted(kind, d, d.record!, 'handed over at a shutdown (its hand-over taken here)', own.atMs);
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
      log.info(`hand-over ${o.decoded.run.runId} (${members.get(o.decoded.run.runId) ?? 0} more runs) does not fit in this replica's room; left to another replica`);
      orphans.splice(orphans.indexOf(o), 1);
      shownLocks.splice(shownLocks.indexOf(o), 1);
    }
    // A lock run the list shows without its hand-over label was taken (or ended): its hand-over is someone else's.
    for (const id of lockIds) if (runs.has(id) && !shownLocks.some((o) => o.decoded.run.runId === id)) locks.set(id, { state: 'lost', atMs: clock.now() });
    await Promise.all([
      ...shownLocks.map((o) => adopt(kind, o.decoded, o.reason).catch((err: unknown) => log.warn(`taking over hand-over ${o.decoded.run.runId} failed: ${toAgentError(err).message}`))),
      ...hiddenLocks.map((id) => takeLock(id).catch((err: unknown) => log.warn(`taking over hand-over ${id} failed: ${toAgentError(err).message}`))),
    ]);
    let taken = 0;
    const rest = orphans.filter((o) => !shownLocks.includes(o));
    for (const d of waitingForLock) {
      if (stopping || trackingRoom() <= 0) break;
      const decision = decide(d);
      if (decision?.kind === 'orphan') rest.push({ decoded: d, reason: decision.reason });
      if (decision?.kind !== 'member') continue;
      holdAdopted(kind, d, d.record!, 'handed over at a shutdown', Date.parse(d.record!.updatedAt ?? '') || clock.now(), true);
      taken++;
    }
    if (taken > 0) log.info(`took over ${taken} ${kind} run(s) handed over at a shutdown, without a write each: their hand-over was taken here`);
    for (let i = 0; i < rest.length && !stopping; i += 32) {
      const batch = rest.slice(i, i + 32).slice(0, Math.max(0, trackingRoom()));
      if (batch.length === 0) break;
      await Promise.all(batch.map((o) => adopt(kind, o.decoded, o.reason).catch((err: unknown) => log.warn(`taking over run ${o.decoded.run.runId} failed: ${toAgentError(err).message}`))));
    }
  }

  /** The lock run a listed lock names itself as (a run labelled with its own hand-over). */
  function handOverLabelOf(d: Extract<ClaimedRun, { kind: 'run' }>): string | undefined {
    return d.record?.statusLabel === handOverLabel(d.run.runId) ? d.run.runId : undefined;
  }

  /**
   * Takes a run over by itself, making sure no other replica does the same: read it (still an
   * orphan?), write to it, wait `settleMs`, read it again. Port bumps `updatedAt` on every write,
   * so an unchanged `updatedAt` means nobody wrote after us: another replica that looked at the
   * same run either saw our write (fresh, not an orphan) or wrote before ours and sees ours on its
   * re-read. The read-to-write time is bounded by half the pause, so neither can slip through.
   * `updatedAt` is stamped in milliseconds, so two replicas writing in the same one read the same
   * stamp back: the write also carries this replica's name (takeOverLabel), and the re-read must
   * show both (found by the rolling-update chaos scenario on a loaded machine: both replicas took
   * one hand-over, and 26 runs got two final statuses).
   * 'retry': Port was too slow to be sure either way; the next look tries again.
   */
  async function takeOver(runId: string): Promise<{ outcome: 'won'; after: PortRun; link?: string; mark: string } | { outcome: 'lost' | 'retry' }> {
    const t0 = clock.now();
    const fresh = await deps.port.getRun(runId);
    if (!fresh || held.has(runId) || !orphanReason(fresh, { nowMs: clock.now(), leaseMs: settings.leaseMs, held: false })) return { outcome: 'lost' };
    const link = Array.isArray(fresh.link) ? fresh.link[0] : (fresh.link ?? undefined);
    const written = await deps.port.patchRun(runId, { statusLabel: takeOverLabel, ...(link ? { link } : {}), ...(fresh.externalRunId ? { externalRunId: fresh.externalRunId } : {}) });
    if (clock.now() - t0 > settleMs / 2) {
      log.info(`run ${runId}: Port was too slow to take it over safely now; the next look tries again`);
      return { outcome: 'retry' };
    }
    const mark = (written as PortRun | undefined)?.updatedAt;
    if (!mark) {
      log.warn(`run ${runId}: Port answered the take-over write without the run's updatedAt; not taking it over`);
      return { outcome: 'retry' };
    }
    if (!(await sleep(settleMs))) return { outcome: 'retry' };
    const after = await deps.port.getRun(runId);
    if (!after || after.updatedAt !== mark || after.statusLabel !== takeOverLabel || held.has(runId)) {
      log.info(`run ${runId} was written by someone else meanwhile: another replica has it`);
      return { outcome: 'lost' };
    }
    return { outcome: 'won', after, link, mark };
  }

  /** Takes over an orphan the list shows, and tracks it; a lock run taken gives this replica its whole hand-over. */
  async function adopt(kind: RunKind, decoded: Extract<ClaimedRun, { kind: 'run' }>, reason: string): Promise<void> {
    const runId = decoded.run.runId;
    // Its GitHub run is on another agent's GHES (github.orgs): only that agent can follow it.
    if (!processor.servesOrg(decoded.run, { intake: 'port-api', where: { adopted: kind, runId } })) return;
    const isLock = handOverLabelOf(decoded) !== undefined;
    const taken = await takeOver(runId);
    if (isLock && taken.outcome !== 'retry') locks.set(runId, { state: taken.outcome, atMs: clock.now() });
    if (taken.outcome !== 'won') return;
    holdAdopted(kind, decoded, { ...taken.after, link: taken.link ?? taken.after.link }, reason, clock.now());
  }

  /** Takes a hand-over whose lock run the list does not show (beyond its 1,000): the lock run is held once a list shows it. */
  async function takeLock(lockRunId: string): Promise<void> {
    const taken = await takeOver(lockRunId);
    if (taken.outcome === 'retry') return;
    locks.set(lockRunId, { state: taken.outcome, atMs: clock.now() });
    if (taken.outcome === 'won') ownLocks.set(lockRunId, { mark: taken.mark, atMs: clock.now() });
  }

  /** Holds a run taken over (by itself, or with its hand-over) and tracks it: never dispatched, its GitHub run is recorded. */
  function holdAdopted(kind: RunKind, decoded: Extract<ClaimedRun, { kind: 'run' }>, record: PortRun, reason: string, lastWriteMs: number, quiet = false): void {
    const runId = decoded.run.runId;
    if (held.has(runId)) return;
    if (!processor.servesOrg(decoded.run, { intake: 'port-api', where: { adopted: kind, runId } })) return;
    const link = Array.isArray(record.link) ? record.link[0] : (record.link ?? undefined);
    const h = hold(runId, kind, decoded.fairnessKey, clock.now(), { acked: true, link, externalRunId: record.externalRunId ?? undefined, lastWriteMs: Math.min(lastWriteMs, clock.now()) });
    metrics.runsAdopted.inc({ kind });
    const line = `took over run ${runId} (${reason}): tracking its GitHub run`;
    if (quiet) log.debug(line, { runId });
    else log.info(line, { runId });
    const ctx: RunContext = {
      intake: 'port-api',
      where: { adopted: kind, runId },
      writtenAtMs: decoded.createdAtMs,
      record,
      // Never dispatched here: only runs whose GitHub run is recorded are taken over.
      dispatchBy: clock.now() - 1,
      handOff: (d) => handOff(h, d),
    };
    run(h, processor.job(decoded.run, ctx));
  }

  return {
    async start() {
      try {
        await claimRound();
      } catch (raw) {
        const err = toAgentError(raw);
        if (err.code === 'not_found' || err.code === 'forbidden') throw new AgentError('config', err.message, { cause: err });
        throw err;
      }
      started = true;
      log.info(`claiming ${settings.kinds.join(' and ')} runs of installation ${settings.installationId} from Port`);
      loops.push(claimLoop(), leaseLoop(), rediscoveryLoop());
    },
    async stop(opts = {}) {
      if (stopping) return;
      stopping = true;
      stopController.abort();
      const deadline = opts.deadlineMs ?? clock.now() + 10_000;
      const tracked = held.all().filter((h) => h.phase === 'tracking');
      for (const h of held.all()) h.work.abort();
      while (active > 0 && clock.now() < deadline) await clock.sleep(100);
      // Hand the tracked runs over: another replica takes them at once instead of after a lease.
      // Every run names one of them, the lock, written first: whoever takes the lock takes them
      // all without a write each (adoption.ts). A run not marked by the deadline keeps its lease,
      // and is taken over when the lease runs out. At most HAND_OVER_CONCURRENCY writes at once,
      // each paced by Port's rate-limit headers like every request (port-http.ts).
      const toRelease = tracked.filter((h) => !h.owned.signal.aborted);
      const lock = toRelease[0];
      const released = lock
        ? (async () => {
            const label = handOverLabel(lock.runId);
            const release = (h: HeldRun) =>
              deps.reporter.send(h.runId, { kind: 'patch', patch: { statusLabel: label, ...(h.link ? { link: h.link } : {}), ...(h.externalRunId ? { externalRunId: h.externalRunId } : {}) } }, h.owned.signal).catch(() => undefined);
            await release(lock);
            let next = 1;
            const worker = async () => {
              while (next < toRelease.length && clock.now() < deadline) await release(toRelease[next++]!);
            };
            await Promise.all(Array.from({ length: HAND_OVER_CONCURRENCY }, worker));
          })()
        : Promise.resolve();
      const timer = new AbortController();
      await Promise.race([released, clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).catch(() => undefined)]);
      timer.abort();
      for (const h of [...tracked, ...held.all()]) h.owned.abort();
      await Promise.allSettled(loops);
      if (lock) log.info(`handed ${toRelease.length} tracked run(s) over to the other replicas (hand-over ${lock.runId})`);
    },
    held: () => held.size,
    dispatching: () => held.dispatching(),
    notReady() {
      if (!started) return ['HTTPS intake: first claim not done yet'];
      if (failingSince && clock.now() - failingSince.atMs >= CLAIM_FAILURE_GRACE_MS) {
        return [`HTTPS intake: claiming runs from Port has failed for ${Math.round((clock.now() - failingSince.atMs) / 1000)} s: ${failingSince.reason}`];
      }
      return [];
    },
    delivered(runId) {
      const h = held.get(runId);
      if (h) h.lastWriteMs = clock.now();
    },
  };
}
