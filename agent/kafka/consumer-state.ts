import type { Consumer } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/backoff.js';
import { PartitionOffsets } from './offset-tracker.js';

/** One partition this replica holds: its unfinished offsets, and what aborts its work. */
export interface PartitionState {
  offsets: PartitionOffsets;
  /** Aborts the partition's work (tracking, dispatch waits). */
  work: AbortController;
  /** Aborts when the partition is no longer this replica's (cancels its unsent reports). */
  owned: AbortController;
  commitQueued: boolean;
  /** When this replica began to hold the partition (issue 15: earlier messages may be redeliveries). */
  heldSinceMs: number;
}

/**
 * What the Kafka consumer knows, in one place: the partitions it holds, the last assignment, the
 * kafkajs consumer, and the few flags its parts share (joined, stopping, holding, messages in
 * flight). Built once by createConsumerLoop (consumer.ts) and passed explicitly to the batch
 * handler (consume-batch.ts), as the HTTPS intake passes its state (claim/intake-state.ts).
 */
export class ConsumerState {
  readonly partitions = new Map<number, PartitionState>();
  /** The partitions of the last assignment: a batch of another (revoked) one must not recreate its state. */
  assignedNow = new Set<number>();
  consumer: Consumer | undefined;
  joined = false;
  stopping = false;
  /** During shutdown: partitions are kept (eachBatch heartbeats) but no message is taken. */
  holding = false;
  /** Messages handed to `process` and not finished. */
  active = 0;

  constructor(private readonly ctx: { topic: string; clock: Clock; log: Logger }) {}

  /** The partition's state, made when its first message arrives. */
  partition(p: number): PartitionState {
    let state = this.partitions.get(p);
    if (!state) {
      state = {
        offsets: new PartitionOffsets(),
        work: new AbortController(),
        owned: new AbortController(),
        commitQueued: false,
        heldSinceMs: this.ctx.clock.now(),
      };
      this.partitions.set(p, state);
    }
    return state;
  }

  /** The partition is someone else's now (or will be): stop its work and its unsent reports. */
  revoke(p: number, why: string): void {
    this.assignedNow.delete(p);
    const state = this.partitions.get(p);
    if (!state) return;
    this.partitions.delete(p);
    if (state.offsets.size > 0)
      this.ctx.log.info(`partition ${p} ${why}: handing over ${state.offsets.size} unfinished message(s)`, { partition: p });
    state.work.abort();
    state.owned.abort();
  }

  /** Every partition held is revoked (a crash, the end of a shutdown). */
  revokeAll(why: string): void {
    for (const p of [...this.partitions.keys()]) this.revoke(p, why);
  }

  async commit(p: number, state: PartitionState): Promise<void> {
    if (state.commitQueued) return;
    state.commitQueued = true;
    // Coalesce: many runs finishing together produce one commit of the furthest point.
    await new Promise((r) => setImmediate(r));
    state.commitQueued = false;
    await this.commitNow(p, state);
  }

  /** Commits the partition's commit point, five tries at most while it is still ours and before `deadlineMs`. */
  async commitNow(p: number, state: PartitionState, deadlineMs = Infinity): Promise<void> {
    const offset = state.offsets.commitPoint();
    for (
      let attempt = 0;
      attempt < 5 && this.partitions.get(p) === state && this.consumer && this.ctx.clock.now() < deadlineMs;
      attempt++
    ) {
      try {
        await this.consumer.commitOffsets([{ topic: this.ctx.topic, partition: p, offset: offset.toString() }]);
        return;
      } catch (err) {
        this.ctx.log.debug('offset commit failed; retrying', { partition: p, error: (err as Error).message });
        await this.ctx.clock.sleep(200 * 2 ** attempt).catch(() => undefined);
      }
    }
  }
}
