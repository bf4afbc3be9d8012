// The bench's pure parts: reading CPU time from /proc/<pid>/stat, and the median and spread of a
// figure over repeated runs (what docs/performance.md quotes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuMs, parseProcStat, processCpuMs } from '../bench/process-cpu.js';
import { formatSpread, spread, worst } from '../bench/stats.js';

// A real line (proc(5) layout) with a command name holding spaces and parentheses.
const STAT =
  '4242 (node (agent) x) S 4200 4242 4200 0 -1 4194560 96231 0 0 0 1234 567 89 10 20 0 11 0 123456 1289011200 45678 18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0';

describe('parseProcStat', () => {
  it('reads utime, stime, cutime and cstime after the last parenthesis', () => {
    assert.deepEqual(parseProcStat(STAT), { utime: 1234, stime: 567, cutime: 89, cstime: 10 });
  });

  it('turns ticks into milliseconds with CLK_TCK', () => {
    assert.equal(cpuMs(parseProcStat(STAT), 100), (1234 + 567 + 89 + 10) * 10);
    assert.equal(cpuMs(parseProcStat(STAT), 1000), 1234 + 567 + 89 + 10);
  });

  it('rejects what is not a stat line', () => {
    assert.throws(() => parseProcStat('no parenthesis here'), /not a \/proc\/<pid>\/stat line/);
    assert.throws(() => parseProcStat('1 (x) S 0 0'), /field 14/);
  });

  it('reads this process from /proc, and nothing for a process that is gone', { skip: process.platform !== 'linux' }, () => {
    const before = processCpuMs(process.pid)!;
    const until = Date.now() + 60;
    while (Date.now() < until); // burn some CPU
    const after = processCpuMs(process.pid)!;
    assert.ok(Number.isFinite(before) && after >= before, `${before} → ${after}`);
    assert.equal(processCpuMs(2 ** 22 + 1), undefined);
  });
});

describe('spread', () => {
  it('takes the middle value of an odd count and the range', () => {
    assert.deepEqual(spread([526, 435, 414]), { median: 435, min: 414, max: 526, n: 3 });
  });

  it('averages the middle two of an even count', () => {
    assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 });
  });

  it('ignores runs that measured nothing, and says so when none did', () => {
    assert.deepEqual(spread([NaN, 7, Infinity]), { median: 7, min: 7, max: 7, n: 1 });
    const none = spread([]);
    assert.equal(none.n, 0);
    assert.ok(Number.isNaN(none.median));
  });

  it('the worst run is the lowest rate and the highest latency', () => {
    const s = spread([526, 435, 414]);
    assert.equal(worst(s, 'higher'), 414);
    assert.equal(worst(s, 'lower'), 526);
  });

  it('prints the median with its range and the number of runs', () => {
    assert.equal(formatSpread(spread([526.04, 435.2, 414.31])), '435.2 (414.3–526, 3 runs)');
    assert.equal(formatSpread(spread([20, 29, 22]), 0, ' ms'), '22 ms (20–29, 3 runs)');
    assert.equal(formatSpread(spread([12]), 0, ' ms'), '12 ms (1 run)');
  });
});
