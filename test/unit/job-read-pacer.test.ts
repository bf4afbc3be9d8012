// Job progress's budget (issue 15): reads go at most perMinute a minute, in bursts of ten
// seconds' worth, in the order asked; a run waiting once keeps its place; an ended run's read is
// dropped without spending the budget, and a run followed again takes its place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJobReadPacer } from '../../agent/run/job-read-pacer.js';
import { virtualClock } from './virtual-clock.js';

describe('job read pacer', () => {
  it('a burst of ten seconds’ worth at once, then one per interval, in the order asked', async () => {
    const { clock, runUntil } = virtualClock(0);
    const pacer = createJobReadPacer({ perMinute: 60, clock });
    const done: Array<{ key: string; at: number }> = [];
    const live = new AbortController().signal;
    for (let i = 0; i < 30; i++) pacer.enqueue(`r_${i}`, () => done.push({ key: `r_${i}`, at: clock.now() }), live);
    pacer.enqueue('r_15', () => done.push({ key: 'r_15 again', at: clock.now() }), live); // still waiting: no second place
    assert.equal(done.length, 10, 'the burst');
    await runUntil(() => done.length >= 30);
    assert.deepEqual(
      done.map((d) => d.key),
      Array.from({ length: 30 }, (_, i) => `r_${i}`),
    );
    assert.deepEqual(
      done.slice(10).map((d) => d.at),
      Array.from({ length: 20 }, (_, i) => (i + 1) * 1000),
      'then one a second',
    );
    pacer.stop();
  });

  it('an ended run reads nothing and spends nothing; the same run followed again takes its place', async () => {
    const { clock, runUntil } = virtualClock(0);
    const pacer = createJobReadPacer({ perMinute: 6, clock }); // burst 1, then one every 10 s
    const done: string[] = [];
    const live = new AbortController().signal;
    pacer.enqueue('r_a', () => done.push('a'), live);
    const ended = new AbortController();
    pacer.enqueue('r_b', () => done.push('b (ended)'), ended.signal);
    pacer.enqueue('r_c', () => done.push('c'), live);
    ended.abort();
    pacer.enqueue('r_b', () => done.push('b (followed again)'), live);
    await runUntil(() => done.length >= 3);
    assert.deepEqual(done, ['a', 'c', 'b (followed again)']);
    assert.equal(clock.now(), 20_000, 'the ended read spent no turn');
    pacer.stop();
  });

  it('perMinute 0: no budget, every read at once; stopped: nothing more', () => {
    const { clock } = virtualClock(0);
    const free = createJobReadPacer({ perMinute: 0, clock });
    let n = 0;
    for (let i = 0; i < 500; i++) free.enqueue(`r_${i}`, () => n++, new AbortController().signal);
    assert.equal(n, 500);
    const paced = createJobReadPacer({ perMinute: 6, clock });
    paced.enqueue('r_1', () => n++, new AbortController().signal);
    paced.enqueue('r_2', () => n++, new AbortController().signal);
    paced.stop();
    paced.enqueue('r_3', () => n++, new AbortController().signal);
    assert.equal(n, 501);
    assert.equal(paced.waiting(), 0);
  });
});
