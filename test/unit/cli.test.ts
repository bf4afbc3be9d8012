import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clockSkew, skewTooLarge } from '../../agent/cli/check/clock-skew.js';
import { formatResult, runChecks, summarize } from '../../agent/cli/check/run-checks.js';
import { type Check, fail, pass } from '../../agent/cli/check/types.js';
import { parseCommand, usage } from '../../agent/cli/command-line.js';

describe('parseCommand', () => {
  it('runs the agent by default, with or without the word run', () => {
    assert.deepEqual(parseCommand([]), { kind: 'run', argv: [] });
    assert.deepEqual(parseCommand(['--config', 'a.yaml']), { kind: 'run', argv: ['--config', 'a.yaml'] });
    assert.deepEqual(parseCommand(['run', '--print-config']), { kind: 'run', argv: ['--print-config'] });
  });
  it('check takes the configuration arguments', () => {
    assert.deepEqual(parseCommand(['check', '-c', 'a.yaml']), { kind: 'check', argv: ['-c', 'a.yaml'] });
    assert.deepEqual(parseCommand(['check']), { kind: 'check', argv: [] });
  });
  it('help and version wherever they are asked for', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['--config', 'x', '--help']]) assert.deepEqual(parseCommand(argv), { kind: 'help' });
    for (const argv of [
      ['check', '--help'],
      ['help', 'check'],
    ])
      assert.deepEqual(parseCommand(argv), { kind: 'help', topic: 'check' });
    for (const argv of [['--version'], ['-V'], ['version']]) assert.deepEqual(parseCommand(argv), { kind: 'version' });
  });
  it('usage names every command and option', () => {
    for (const word of ['run', 'check', '--config', '--print-config', '--help', '--version']) assert.ok(usage().includes(word), word);
    assert.match(usage('check'), /Exit code: 0 when every check passed, 1 when one failed/);
  });
});

describe('clockSkew', () => {
  const at = Date.parse('2026-01-01T00:00:00Z');
  it('in sync: the Date header second contains the middle of the round trip', () => {
    const s = clockSkew('Thu, 01 Jan 2026 00:00:00 GMT', at + 300, at + 400)!;
    assert.ok(Math.abs(s.skewMs) <= s.uncertaintyMs);
    assert.equal(skewTooLarge(s), false);
  });
  it('ahead and behind, beyond a minute for certain', () => {
    const ahead = clockSkew('Thu, 01 Jan 2026 00:00:00 GMT', at + 90_000, at + 90_200)!;
    assert.ok(ahead.skewMs > 89_000 && ahead.skewMs < 90_000);
    assert.equal(skewTooLarge(ahead), true);
    const behind = clockSkew('Thu, 01 Jan 2026 00:02:00 GMT', at, at + 100)!;
    assert.ok(behind.skewMs < -120_000);
    assert.equal(skewTooLarge(behind), true);
    // 60.4 s off with a 1 s round trip: not certainly beyond a minute.
    assert.equal(skewTooLarge(clockSkew('Thu, 01 Jan 2026 00:00:00 GMT', at + 60_400, at + 61_400)!), false);
  });
  it('no or unreadable header: nothing to compare', () => {
    assert.equal(clockSkew(undefined, at, at), undefined);
    assert.equal(clockSkew('yesterday', at, at), undefined);
  });
});

describe('runChecks', () => {
  const ok = (id: string, part: Check<object>['part'] = 'github', needs?: string[]): Check<object> => ({
    id,
    part,
    needs,
    run: async () => pass(`${id} fine`),
  });
  it('skips a disabled part and checks whose needs did not pass; a throw or a hang fails', async () => {
    const lines: string[] = [];
    const results = await runChecks(
      [
        ok('a'),
        { id: 'b', part: 'port', run: async () => fail('b broke', 'fix b') },
        ok('c', 'port', ['b']),
        ok('d', 'kafka'),
        {
          id: 'e',
          part: 'github',
          run: async () => {
            throw new Error('boom');
          },
        },
        { id: 'f', part: 'github', run: () => new Promise(() => undefined) },
        ok('g', 'github', ['a']),
      ],
      {},
      { disabled: { kafka: 'the Kafka intake is off' }, print: (l) => lines.push(l), timeoutMs: 50 },
    );
    assert.deepEqual(
      results.map((r) => `${r.id}:${r.status}`),
      ['a:pass', 'b:fail', 'c:skip', 'd:skip', 'e:fail', 'f:fail', 'g:pass'],
    );
    assert.equal(results[2]!.message, 'needs b to pass first');
    assert.equal(results[3]!.message, 'the Kafka intake is off');
    assert.equal(results[4]!.message, 'boom');
    assert.match(results[5]!.message, /no answer within 0.05 s/);
    assert.equal(lines[1], 'FAIL  b  b broke → fix: fix b');
    assert.equal(summarize(results), 'check: 2 of 7 checks passed; failing: b, e, f (2 skipped)');
    assert.equal(summarize([results[0]!]), 'check: 1 of 1 checks passed; ready for a first run');
  });
  it('formats one line per check, the fix on the same line', () => {
    assert.equal(formatResult({ id: 'x', status: 'pass', message: 'fine', fix: 'ignored' }, 4), 'PASS  x     fine');
    assert.doesNotMatch(summarize([{ id: 'x', status: 'fail', message: '' }]), /\d+ passed, \d+ failed/);
  });
});
