// Issue 25: one stop list serves a failed start and stop(). These pin the order the agent's
// shutdown had when it was written out twice in main.ts: the reporter's last drain before the
// reporter stops, then the paced readers, the health server last; steps that only clear timers
// back to back, as the plain calls they replace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Shutdown, StopList } from '../../agent/util/stop-list.js';

const STOP: Shutdown = { deadlineMs: 1000, drain: true };

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('StopList', () => {
  it('runs the steps last added first, each given the same shutdown', async () => {
    const stops = new StopList();
    const seen: Array<[string, Shutdown]> = [];
    stops.add((s) => void seen.push(['health', s]));
    stops.add((s) => void seen.push(['reporter', s]));
    stops.add((s) => void seen.push(['intakes', s]));
    await stops.run(STOP);
    assert.deepEqual(seen, [
      ['intakes', STOP],
      ['reporter', STOP],
      ['health', STOP],
    ]);
  });

  it('waits for a step that returns a promise before the next', async () => {
    const stops = new StopList();
    const order: string[] = [];
    const drained = gate();
    stops.add(() => void order.push('reporter stopped'));
    stops.add(() => drained.promise.then(() => void order.push('drained')));
    const done = stops.run(STOP);
    await tick();
    assert.deepEqual(order, [], 'the reporter is not stopped while its drain is under way');
    drained.open();
    await done;
    assert.deepEqual(order, ['drained', 'reporter stopped']);
  });

  it('runs steps that return nothing back to back, with no other work in between', async () => {
    const stops = new StopList();
    const order: string[] = [];
    stops.add(() => void order.push('job reads stopped'));
    stops.add(() => void order.push('end watch stopped'));
    stops.add(() => {
      order.push('reporter stopped');
      // What a stop sets off (a rejected send's handlers) runs after the plain stops, as it did.
      queueMicrotask(() => order.push('a send rejected'));
    });
    await stops.run(STOP);
    assert.deepEqual(order, ['reporter stopped', 'end watch stopped', 'job reads stopped', 'a send rejected']);
  });

  it('ends with the error of a step that throws', async () => {
    const stops = new StopList();
    let earlier = false;
    stops.add(() => void (earlier = true));
    stops.add(() => Promise.reject(new Error('close failed')));
    await assert.rejects(stops.run(STOP), /close failed/);
    assert.equal(earlier, false);
  });
});
