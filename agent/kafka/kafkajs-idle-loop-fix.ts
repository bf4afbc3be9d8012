import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's request queue re-arms a timer after every answer, even with nothing pending:
 * `throttledUntil` starts at -1, so the delay is about minus the epoch, which Node clamps to
 * 1 ms. Each broker connection then wakes every millisecond for as long as it is open
 * (tulios/kafkajs#1704), and Node 24 warns about the negative delay (TimeoutNegativeWarning,
 * tulios/kafkajs#1751). Both are open upstream, with the fix below proposed in PRs #1755/#1768
 * and their review; kafkajs has had no release since 2.2.4. Measured here: an idle agent
 * spent 790 ms of CPU per 20 s with the loop and 210 ms without.
 *
 * The replacement keeps every case kafkajs relies on: with requests pending it schedules a
 * check when the throttle ends, or in 10 ms when it already has (kafkajs#1532: a marginal
 * throttle must still be checked); with nothing pending and no throttle it arms nothing, since
 * the next request's push() checks the queue itself.
 *
 * Applied once by the composition root. It changes a class of the library, so it checks that
 * the library is the version it was written for and leaves any other version alone.
 */
export function fixKafkajsIdleLoop(): { applied: boolean; reason: string } {
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return { applied: false, reason: `kafkajs ${version}: not the version the fix was written for (2.2.4)` };
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike & Record<symbol, unknown> };
  const marker = Symbol.for('ghes-agent.kafkajs-idle-loop-fix');
  if (RequestQueue.prototype[marker]) return { applied: true, reason: 'already applied' };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  RequestQueue.prototype[marker] = true;
  return { applied: true, reason: 'applied' };
}

/** The fields of kafkajs's RequestQueue the scheduler reads and writes. */
export interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** kafkajs's scheduleCheckPendingRequests without the idle loop (see above). */
export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  let delay = this.throttledUntil - Date.now();
  if (this.pending.length > 0) delay = delay > 0 ? delay : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (delay <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}
