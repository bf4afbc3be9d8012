// Issue 24 item 5: the line a run held back by GitHub's budget gets, in Ocean's words (port-ocean
// 0.56.2 execution_manager.py _execute_run).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { dispatchWorkflow } from '../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import { rateLimitDelayLine } from '../../agent/run/rate-limit-delay.js';
import { deployRun, fakeDispatchContext } from './fakes/dispatch-context.js';

describe('rate-limit delay line', () => {
  it("Ocean's sentence with the seconds rounded up; nothing for a wait under a second", () => {
    assert.equal(rateLimitDelayLine(9_200), 'Delayed due to low remaining rate limit. Will attempt to re-run in 10 seconds');
    assert.equal(rateLimitDelayLine(1000), 'Delayed due to low remaining rate limit. Will attempt to re-run in 1 seconds');
    assert.equal(rateLimitDelayLine(999), undefined);
    assert.equal(rateLimitDelayLine(Number.NaN), undefined);
  });
});

describe('a dispatch GitHub refuses for its rate limit', () => {
  it('tells the run how long it waits (onRateLimitWait) before trying again', async () => {
    const run = deployRun('r_ratelimit0001');
    let posts = 0;
    const api = {
      async dispatch() {
        if (posts++ === 0)
          throw new AgentError('rate_limited', 'secondary rate limit', { status: 403, retriable: true, retryAfterMs: 30_000 });
        return { status: 200, runId: 5, htmlUrl: 'https://ghes/acme/infra/actions/runs/5' };
      },
    } as unknown as GithubApi;
    const waits: number[] = [];
    const ctx = fakeDispatchContext(api, {
      clock: { now: Date.now, sleep: async () => undefined },
      correlationTimeoutMs: 5_000,
      onRateLimitWait: (ms) => waits.push(ms),
    });
    assert.equal((await dispatchWorkflow(ctx, run, { ref: 'refs/heads/main', inputs: {}, runIdInput: undefined })).runId, 5);
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! >= 30_000, 'the wait GitHub asked for');
    assert.equal(rateLimitDelayLine(waits[0]!), 'Delayed due to low remaining rate limit. Will attempt to re-run in 30 seconds');
  });
});
