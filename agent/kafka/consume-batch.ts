import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/backoff.js';
import type { ConsumerState } from './consumer-state.js';
import type { IncomingMessage } from './prepare-record.js';

/** What the batch handler uses besides the consumer's state. */
export interface BatchDeps {
  /** `signal` aborts the work; `owned` aborts when the partition is no longer this replica's (cancels unsent reports). */
  process: (msg: IncomingMessage, signal: AbortSignal, owned: AbortSignal) => Promise<void>;
  /** True while the agent may take more work (in-flight runs and queued reports under their bounds). */
  hasCapacity: () => boolean;
  clock: Clock;
  log: Logger;
}

/**
 * kafkajs's eachBatch: each message is handed to `process` without waiting for it (a run may take
 * hours, and kafkajs only heartbeats between batches), only while the agent has room; its offset
 * is resolved at once (so kafkajs fetches on) and committed only once every earlier message of
 * the partition is done (offset-tracker.ts). During shutdown (`state.holding`) the batch only
 * heartbeats, keeping the partition while queued reports are delivered.
 */
export async function consumeBatch(state: ConsumerState, deps: BatchDeps, payload: EachBatchPayload): Promise<void> {
  const { clock, log } = deps;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kafkajs builds these as arrow functions (src/consumer/runner.js, eachBatch payload) and its docs destructure them
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  const p = batch.partition;
  if (state.holding) {
    // Shutting down: keep the partition (heartbeats) while queued reports are delivered.
    // A failed heartbeat (a rebalance began) ends the hold so kafkajs can rejoin; partitions
    // lost in that rebalance are revoked on GROUP_JOIN, which cancels their unsent reports.
    while (state.holding && isRunning() && !isStale()) {
      if (
        !(await heartbeat().then(
          () => true,
          () => false,
        ))
      )
        return;
      await clock.sleep(200);
    }
    return;
  }
  for (const m of batch.messages) {
    while (!deps.hasCapacity() && isRunning() && !isStale() && !state.holding) {
      await heartbeat().catch(() => undefined);
      await clock.sleep(100);
    }
    if (!isRunning() || isStale() || state.holding) return;
    // kafkajs's isStale() only reflects seeks: a batch still running when its partition went
    // to another replica must stop here, not start the partition's work again.
    if (!state.assignedNow.has(p)) return;
    const held = state.partition(p);
    const offset = BigInt(m.offset);
    const before = held.offsets.size;
    held.offsets.add(offset);
    resolveOffset(m.offset);
    if (held.offsets.size === before) continue; // redelivered while still in flight here
    state.active++;
    // The callbacks below outlive the batch by hours (a run's whole tracking): they capture
    // the offset, never `m`, whose value is a slice that would pin the whole fetch response.
    const offsetText = m.offset;
    deps
      .process(
        {
          value: m.value,
          timestampMs: Number(m.timestamp),
          topic: batch.topic,
          partition: p,
          offset: offsetText,
          heldSinceMs: held.heldSinceMs,
        },
        held.work.signal,
        held.owned.signal,
      )
      .then(
        () => {
          if (held.offsets.done(offset) !== undefined && state.partitions.get(p) === held) void state.commit(p, held);
        },
        (err) => {
          if (!held.work.signal.aborted) {
            // Not expected (the poison guard answers failures; this is the reporter stopping):
            // the offset stays uncommitted and the message is redelivered after a restart.
            log.error('message handling failed; it will be redelivered', {
              partition: p,
              offset: offsetText,
              error: (err as Error).message,
            });
          }
        },
      )
      .finally(() => state.active--);
    await heartbeat().catch(() => undefined);
  }
}
