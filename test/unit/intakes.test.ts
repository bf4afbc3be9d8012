// Issue 25: the intakes as main.ts held them in separate variables, now one object. Pinned: at a
// stop both intakes stop at once with the one deadline, the consumer's stop called first as
// before; at a failed start only an intake that finished starting is stopped; /readyz, the
// in-flight count and lease renewals see each intake from the moment it exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimIntake } from '../../agent/claim/claim-intake.js';
import type { ConsumerLoop } from '../../agent/kafka/consumer.js';
import { Intakes } from '../../agent/start-intakes.js';

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

function fakeConsumer(log: string[], done: Promise<void>, over: Partial<ConsumerLoop> = {}): ConsumerLoop {
  return {
    start: async () => undefined,
    stop: (opts) => {
      log.push(`consumer stop until ${opts?.deadlineMs}`);
      return done.then(() => void log.push('consumer stopped'));
    },
    joined: () => true,
    inFlight: () => 3,
    ...over,
  };
}

function fakeClaim(log: string[], done: Promise<void>, over: Partial<ClaimIntake> = {}): ClaimIntake {
  return {
    start: async () => undefined,
    stop: (opts) => {
      log.push(`claim stop until ${opts?.deadlineMs}`);
      return done.then(() => void log.push('claim stopped'));
    },
    held: () => 4,
    dispatching: () => 1,
    notes: () => [],
    notReady: () => ['claims failing'],
    delivered: (runId) => void log.push(`delivered ${runId}`),
    ...over,
  };
}

describe('Intakes', () => {
  it('stops the running intakes at once, the last started first, with the one deadline', async () => {
    const log: string[] = [];
    const consumerDone = gate();
    const intakes = new Intakes();
    intakes.claim = fakeClaim(log, Promise.resolve());
    intakes.running(intakes.claim);
    intakes.consumer = fakeConsumer(log, consumerDone.promise);
    intakes.running(intakes.consumer);
    const stopped = intakes.stop(1234);
    await tick();
    // The claim intake hands its runs over while the consumer still holds its partitions.
    assert.deepEqual(log, ['consumer stop until 1234', 'claim stop until 1234', 'claim stopped']);
    consumerDone.open();
    await stopped;
    assert.equal(log.at(-1), 'consumer stopped');
  });

  it('does not stop an intake that never finished starting (a failed start)', async () => {
    const log: string[] = [];
    const intakes = new Intakes();
    intakes.claim = fakeClaim(log, Promise.resolve());
    intakes.running(intakes.claim);
    // The consumer was created, but its start failed: it is seen by /readyz, never stopped.
    intakes.consumer = fakeConsumer(log, Promise.resolve(), { joined: () => false });
    await intakes.stop(0);
    assert.deepEqual(log, ['claim stop until 0', 'claim stopped']);
  });

  it('counts, reports and renews across both intakes, from the moment each exists', () => {
    const log: string[] = [];
    const intakes = new Intakes();
    assert.equal(intakes.inFlight(), 0);
    assert.deepEqual(intakes.notReady(), []);
    intakes.delivered('r0');
    intakes.consumer = fakeConsumer(log, Promise.resolve(), { joined: () => false });
    intakes.claim = fakeClaim(log, Promise.resolve());
    intakes.delivered('r1');
    assert.equal(intakes.inFlight(), 7);
    assert.deepEqual(intakes.notReady(), ['not a member of the consumer group', 'claims failing']);
    assert.deepEqual(log, ['delivered r1']);
    assert.equal(intakes.started, false);
  });
});
