import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { createDependencyHealth, isOutageError, observeCalls } from '../../agent/observability/dependency-health.js';

describe('dependency health', () => {
  it('one failure is not an outage; failing with no success for the grace period is', () => {
    let now = 1000;
    const h = createDependencyHealth({ now: () => now, unreachableAfterMs: 30_000 });
    h.failure('github', 'connect ECONNREFUSED');
    now += 29_000;
    h.failure('github', 'HTTP 503');
    assert.deepEqual(h.unhealthy(), []);
    now += 1000;
    assert.equal(h.unhealthy().length, 1);
    assert.match(h.unhealthy()[0]!, /^github unreachable for 30 s: HTTP 503/);
    h.success('github');
    assert.deepEqual(h.unhealthy(), []);
  });

  it('a dependency expected in regular contact is unhealthy when silent for the grace period', () => {
    let now = 0;
    const h = createDependencyHealth({ now: () => now, unreachableAfterMs: 30_000, expectContact: ['kafka'] });
    now = 29_999;
    assert.deepEqual(h.unhealthy(), []);
    h.success('kafka');
    now += 30_000;
    assert.deepEqual(h.unhealthy(), ['kafka: no contact for 30 s']);
    h.failure('kafka', 'crashed');
    assert.equal(h.unhealthy().length, 1, 'one reason per dependency');
  });

  it('observeCalls: any answer is contact, outage errors are failures, errors pass through', async () => {
    let now = 0;
    const h = createDependencyHealth({ now: () => now, unreachableAfterMs: 10 });
    let answer: () => Promise<string> = async () => 'ok';
    const client = observeCalls({ call: () => answer() }, 'port', h);
    assert.equal(await client.call(), 'ok');
    answer = async () => {
      throw new AgentError('not_found', 'no such run', { status: 404 });
    };
    await assert.rejects(client.call(), /no such run/);
    now = 100;
    assert.deepEqual(h.unhealthy(), [], 'a 404 proves Port is up');
    answer = async () => {
      throw new AgentError('server', 'Port answered 503', { status: 503, retriable: true });
    };
    await assert.rejects(client.call(), /503/);
    now = 200;
    assert.equal(h.unhealthy().length, 1);
    assert.equal(isOutageError(new AgentError('rate_limited', 'slow down', { status: 429, retriable: true })), false);
    assert.equal(isOutageError(new AgentError('network', 'ECONNRESET', { retriable: true })), true);
  });
});
