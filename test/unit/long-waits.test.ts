// A run waiting days for an environment approval, or a self-hosted job running for days, is
// still followed with the default configuration (issue 12, item 9): GitHub allows approvals
// 30 days and a run 35 (then it cancels it); the old default, 6 hours, reported FAILURE while
// the GHES run went on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../agent/config/load.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createBatchedWatcher } from '../../agent/tracking/batched-watcher.js';
import type { WatchOutcome } from '../../agent/tracking/run-watcher.js';

const DAY = 86_400_000;
const silent: Logger = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, log() {} } as unknown as Logger;

const defaults = () =>
  loadConfig({
    argv: [],
    env: {
      GHES_AGENT_PORT_ORG_ID: 'org_1',
      GHES_AGENT_PORT_CLIENT_ID: 'c',
      GHES_AGENT_PORT_CLIENT_SECRET: 's',
      GHES_AGENT_GITHUB_URL: 'https://ghes.example',
      GHES_AGENT_GITHUB_TOKEN: 't',
    },
    readFile: () => '',
  }).config;

describe('long waits', () => {
  it("the default maxWaitSeconds outlasts GitHub's own limits (30-day approvals, 35-day runs)", () => {
    assert.ok(defaults().tracking.maxWaitSeconds * 1000 > 35 * DAY);
  });

  it('a run waiting 29 days for approval, then running 5 days, is followed to its conclusion with the defaults', async () => {
    const config = defaults();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const run: WorkflowRun = {
      id: 1,
      status: 'waiting',
      conclusion: null,
      html_url: 'u',
      display_title: 't',
      head_branch: 'main',
      created_at: new Date(now).toISOString(),
      updated_at: new Date(now).toISOString(),
      event: 'workflow_dispatch',
    };
    const api = {
      async listRepoRuns() {
        return { notModified: false as const, page: { runs: [{ ...run }], totalCount: 1, serverDateMs: now } };
      },
      async getRun() {
        return { run: { ...run } };
      },
    } as unknown as GithubApi;
    const timers: Array<{ at: number; resolve: () => void }> = [];
    const clock = {
      now: () => now,
      sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + ms, resolve })),
    };
    const interval = config.tracking.pollIntervalSeconds * 1000;
    const watcher = createBatchedWatcher({
      api,
      clock,
      logger: silent,
      random: () => 0.5,
      settings: {
        intervalMs: interval,
        maxIntervalMs: interval * config.tracking.idleIntervalMultiplier,
        sweepMs: interval * config.tracking.statusSweepMultiplier,
        maxWaitMs: config.tracking.maxWaitSeconds * 1000,
      },
    });
    let outcome: WatchOutcome | undefined;
    void watcher
      .watch(
        { portRunId: 'r_1', org: 'acme', repo: 'infra', ghRunId: 1, sinceMs: now, fresh: true },
        { signal: new AbortController().signal, onStatus: () => undefined },
      )
      .then((o) => (outcome = o));
    // Jump from timer to timer (the loop sleeps between polls) through 34 days.
    const until = async (end: number) => {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > end || outcome) break;
        timers.shift();
        now = t.at;
        t.resolve();
      }
      now = Math.max(now, end);
    };
    await until(now + 29 * DAY);
    assert.equal(outcome, undefined, 'still followed after 29 days of waiting');
    run.status = 'in_progress';
    await until(now + 5 * DAY);
    assert.equal(outcome, undefined, 'still followed after 5 days of running');
    run.status = 'completed';
    run.conclusion = 'success';
    await until(now + 2 * interval * config.tracking.idleIntervalMultiplier);
    assert.equal((outcome as WatchOutcome | undefined)?.kind, 'completed');
  });
});
