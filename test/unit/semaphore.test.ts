import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex, Semaphore } from '../../agent/util/semaphore.js';

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Semaphore', () => {
  it('never runs more than the limit at once, and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    const all = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        active++;
        peak = Math.max(peak, active);
        await g.promise;
        active--;
        return i;
      }),
    );
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(sem.inUse, 2);
    gates[1]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    gates.forEach((g) => g.open());
    assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(sem.inUse, 0);
  });

  it('releases its slot when the work throws', async () => {
    const sem = new Semaphore(1);
    await assert.rejects(
      sem.run(async () => {
        throw new Error('fail');
      }),
      /fail/,
    );
    assert.equal(sem.inUse, 0);
    assert.equal(await sem.run(async () => 'next'), 'next');
  });
});

describe('KeyedMutex', () => {
  it('serializes work of one key in arrival order', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const g1 = gate();
    const first = mutex.run('acme/infra/deploy.yml', async () => {
      log.push('start 1');
      await g1.promise;
      log.push('end 1');
    });
    const second = mutex.run('acme/infra/deploy.yml', async () => {
      log.push('start 2');
    });
    await tick();
    assert.deepEqual(log, ['start 1']);
    g1.open();
    await Promise.all([first, second]);
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2']);
  });

  it('runs different keys concurrently', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const g = gate();
    const a = mutex.run('a', async () => {
      log.push('a start');
      await g.promise;
    });
    const b = mutex.run('b', async () => {
      log.push('b start');
    });
    await b; // b finishes while a still holds its key
    assert.deepEqual(log, ['a start', 'b start']);
    g.open();
    await a;
  });

  it('a failure releases the key for the next holder', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('k', async () => {
      throw new Error('dispatch failed');
    });
    const next = mutex.run('k', async () => 'ran');
    await assert.rejects(failing, /dispatch failed/);
    assert.equal(await next, 'ran');
  });
});
