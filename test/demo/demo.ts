// `make demo`: the agent end to end on the local stack. Real Kafka (SASL_SSL, SCRAM, ACLs),
// the GHES and Port simulators, two agent processes (GHES 3.21, and 3.19 for the correlation
// path), sample runs of every kind, live progress, a final table, and exit 0 only when every
// run ended as expected. One workflow reports through the relay (docs/relay.md): while its run
// executes, port-labs/port-github-action's own built code (test/relay/port-github-action.ts)
// logs to its Port run and upserts an entity with the OIDC token GHES gives that run. Three runs
// of Port's GitHub Ocean action types (claimed over HTTPS) make a pull request, an issue and a
// comment on that pull request on the GHES simulator; the demo shows what each made there.
import { brokerInfo, startKafkaBroker } from '../stack/kafka-broker.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { freePort } from '../stack/free-port.js';
import { type IntegrationProps, type LocalStack, RUN_NAME, startLocalStack } from '../stack/local-stack.js';
import { runPortGithubAction } from '../relay/port-github-action.js';
import type { SimPortRun } from '../sim/port/types.js';

interface Sample {
  name: string;
  stack: 'A' | 'B';
  expect: 'SUCCESS' | 'FAILURE' | 'IN_PROGRESS' | 'not a run';
  publish: (s: LocalStack) => Promise<SimPortRun | undefined>;
  check?: (r: SimPortRun, s: LocalStack) => boolean;
  /** Runs of the Ocean action types: what the run made on GHES as the simulator holds it (undefined: nothing found). */
  made?: (r: SimPortRun, s: LocalStack) => string | undefined;
  /** Work of the run's own workflow still going on: the demo waits for it as for the run. */
  busy?: () => boolean;
}

/** The relay's audience (relay.audience): what the workflow's core.getIDToken('ghes-agent') asks for. */
const RELAY_AUDIENCE = 'ghes-agent';
/** The entity report.yml upserts through the relay. */
const RELAY_ENTITY = { blueprint: 'service', identifier: 'checkout' };

/** What report.yml's port-github-action steps did, for the checks and the table. */
interface RelaySteps {
  done: boolean;
  githubRunId?: number;
  /** The entity as Port's simulator holds it once the steps ran. */
  entity?: { properties: Record<string, unknown> };
  steps: Array<{ step: string; code: number; output: string }>;
}
const relaySteps: RelaySteps = { done: false, steps: [] };

/**
 * report.yml "executing" on GHES: the simulator runs workflows as simulated runs, so the demo
 * plays the job's steps while the run is in progress — the OIDC token GHES gives this run
 * (core.getIDToken), then port-labs/port-github-action's built code, run as the runner runs it,
 * with baseUrl pointing at the relay and the token as clientSecret (docs/relay.md, the two lines).
 */
async function reportThroughRelay(s: LocalStack, run: SimPortRun, relayUrl: string): Promise<void> {
  try {
    const linked = await s.waitForRun(run.id, (r) => typeof r.externalRunId === 'string');
    const githubRunId = Number(/_(\d+)$/.exec(linked.externalRunId!)![1]);
    relaySteps.githubRunId = githubRunId;
    const token = await s.ghes.oidc.mintForRun(githubRunId, { audience: RELAY_AUDIENCE });
    const auth = { baseUrl: relayUrl, clientId: 'github-oidc', clientSecret: token };
    const steps: Array<[string, Record<string, string>]> = [
      ['PATCH_RUN log', { operation: 'PATCH_RUN', runId: run.id, logMessage: 'Deploying checkout (from the workflow, through the relay)' }],
      [
        'UPSERT entity',
        {
          operation: 'UPSERT',
          ...RELAY_ENTITY,
          title: 'Checkout',
          properties: '{"version":"1.4.2","deployedBy":"report.yml"}',
          runId: run.id,
        },
      ],
      [
        'PATCH_RUN log',
        { operation: 'PATCH_RUN', runId: run.id, logMessage: `Entity ${RELAY_ENTITY.blueprint}/${RELAY_ENTITY.identifier} upserted` },
      ],
    ];
    for (const [step, inputs] of steps) {
      const r = await runPortGithubAction({ ...auth, ...inputs });
      relaySteps.steps.push({ step, code: r.code, output: r.stdout.slice(-600) });
      if (r.code !== 0) break;
    }
    relaySteps.entity = s.port.entities().find((e) => e.blueprint === RELAY_ENTITY.blueprint && e.identifier === RELAY_ENTITY.identifier);
  } catch (err) {
    relaySteps.steps.push({ step: 'workflow', code: -1, output: String(err) });
  } finally {
    relaySteps.done = true;
  }
}

const inv = (workflow: string, extra: Record<string, unknown> = {}) => ({
  type: 'GITHUB' as const,
  org: 'acme',
  repo: 'infra',
  workflow,
  workflowInputs: { service: 'checkout' },
  ...extra,
});

let relayUrl = '';

/** The repository the Ocean action types write to, and the branch a Port run proposes. */
const DOCS = { owner: 'acme', name: 'docs', branch: 'port-demo' };
const ACTION_TYPES = ['create_pull_request', 'create_issue', 'create_pr_comment'];
/** The marker the agent writes into an issue's or comment's body (agent/actions/create-issue.ts): the run's id, invisible on the page. */
const marker = (r: SimPortRun) => `<!-- port-run: ${r.id} -->`;
/** The simulator's helper types a dispatch_workflow run's properties; these types carry others. */
const asProps = (p: Record<string, unknown>) => ({ org: DOCS.owner, repo: DOCS.name, ...p }) as unknown as IntegrationProps;
/** The pull request run, for the comment run to comment on what it made. */
let pullRequestRun: SimPortRun | undefined;
/** The number Ocean's message gives ("Pull request #12 created: …", "Issue #3 created: …"). */
const numberIn = (summary: string | undefined) => Number(/#(\d+)/.exec(summary ?? '')?.[1]);
const pullsMadeBy = (s: LocalStack, r: SimPortRun) =>
  s.ghes.tracker.pulls().filter((p) => p.repo === DOCS.name && p.head === DOCS.branch && p.number === numberIn(r.summary));

const samples: Sample[] = [
  { name: 'deploy succeeds', stack: 'A', expect: 'SUCCESS', publish: (s) => s.publish(inv('deploy.yml')) },
  {
    name: 'tests fail',
    stack: 'A',
    expect: 'FAILURE',
    publish: (s) => s.publish(inv('fail.yml')),
    // The failed job and step, with its link, and the step's last lines in the summary.
    check: (r) =>
      r.logs.some((l) => l.message.startsWith('Failed job "test", step "Run tests"')) && /Last lines of its log/.test(r.summary ?? ''),
  },
  { name: 'run cancelled', stack: 'A', expect: 'FAILURE', publish: (s) => s.publish(inv('cancel.yml')) },
  {
    name: 'needs approval, then succeeds',
    stack: 'A',
    expect: 'SUCCESS',
    publish: (s) => s.publish(inv('approve.yml')),
    check: (r) =>
      r.logs.some((l) => l.message.startsWith('Waiting for approval: environment production (reviewers: alice, @acme/release-managers)')),
  },
  {
    name: 'reportWorkflowStatus: false',
    stack: 'A',
    expect: 'IN_PROGRESS',
    publish: (s) => s.publish(inv('deploy.yml', { reportWorkflowStatus: false })),
    check: (r) => r.logs.some((l) => l.message.startsWith('Workflow completed')) && !!r.link,
  },
  {
    name: 'repository outside the policy',
    stack: 'A',
    expect: 'FAILURE',
    publish: (s) => s.publish({ type: 'GITHUB', org: 'acme', repo: 'payroll', workflow: 'deploy.yml', workflowInputs: {} }),
    check: (r) => /policy/.test(r.summary ?? ''),
  },
  {
    name: 'malformed message',
    stack: 'A',
    expect: 'not a run',
    publish: async (s) => {
      await s.publishRaw('{"context": {"runId": 42}, "payload": "garbage"');
      return undefined;
    },
  },
  {
    name: 'workflow reports via the relay',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) => {
      const run = await s.publish(inv('report.yml'));
      void reportThroughRelay(s, run, relayUrl);
      return run;
    },
    busy: () => !relaySteps.done,
    // The workflow's own log lines in its Port run, and the entity in Port's catalog, linked to the run.
    check: (r) =>
      relaySteps.steps.length === 3 &&
      relaySteps.steps.every((x) => x.code === 0) &&
      relaySteps.entity?.properties.version === '1.4.2' &&
      r.logs.some((l) => l.message === 'Deploying checkout (from the workflow, through the relay)') &&
      r.logs.some((l) => l.message === `Entity ${RELAY_ENTITY.blueprint}/${RELAY_ENTITY.identifier} upserted`),
  },
  { name: 'GHES 3.19: found by run-name', stack: 'B', expect: 'SUCCESS', publish: (s) => s.publish(inv('deploy.yml')) },
  // The GitHub Ocean backend and Port Workflows: nothing on Kafka, the agent claims them over HTTPS.
  {
    name: 'HTTPS: Ocean-backend action',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) =>
      s.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'checkout' } }),
    check: (r) => r.acks === 1 && !!r.externalRunId,
  },
  {
    name: 'HTTPS: workflow-node run',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) =>
      s.createIntegrationRun(
        { org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'checkout' } },
        { kind: 'workflow-node' },
      ),
    check: (r) => r.result === 'SUCCESS' && typeof r.output?.workflowRunUrl === 'string',
  },
  {
    name: 'HTTPS: node run outside policy',
    stack: 'A',
    expect: 'FAILURE',
    publish: async (s) => s.createIntegrationRun({ org: 'acme', repo: 'payroll', workflow: 'deploy.yml' }, { kind: 'workflow-node' }),
    check: (r) => r.result === 'FAILED',
  },
  // Port's GitHub Ocean action types beyond workflows (issue 24): each makes one thing on GHES and ends SUCCESS with Ocean's message.
  {
    name: 'HTTPS: pull request created',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) => {
      pullRequestRun = s.createIntegrationRun(
        asProps({ title: 'Document the checkout service', head: DOCS.branch, base: 'main', body: 'Proposed from a Port action run' }),
        { integrationActionType: 'create_pull_request', actionIdentifier: 'open_docs_pr' },
      );
      return pullRequestRun;
    },
    made: (r, s) => {
      const [p] = pullsMadeBy(s, r);
      return p && `pull request #${p.number} "${p.title}" (${p.head} → ${p.base}, ${p.state}, by ${p.user})`;
    },
    check: (r, s) => /^Pull request #\d+ created: \S+$/.test(r.summary ?? '') && pullsMadeBy(s, r).length === 1,
  },
  {
    name: 'HTTPS: issue created',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) =>
      s.createIntegrationRun(asProps({ title: 'Checkout runbook is out of date', body: 'Reported from Port', labels: ['docs'] }), {
        integrationActionType: 'create_issue',
        actionIdentifier: 'report_docs_issue',
      }),
    made: (r, s) => {
      const found = s.ghes.tracker.issues().filter((i) => i.repo === DOCS.name && (i.body ?? '').includes(marker(r)));
      return found.length === 1
        ? `issue #${found[0]!.number} "${found[0]!.title}" (labels ${found[0]!.labels.join(', ')}, by ${found[0]!.user})`
        : undefined;
    },
    check: (r) => /^Issue #\d+ created: \S+$/.test(r.summary ?? ''),
  },
  {
    // Comments on the pull request the run above made: published once that run has ended (a second or two).
    name: 'HTTPS: comment posted',
    stack: 'A',
    expect: 'SUCCESS',
    publish: async (s) => {
      const pr = await s.waitForRun(pullRequestRun!.id, (r) => r.status !== 'IN_PROGRESS').catch(() => undefined);
      const prNumber = numberIn(pr?.summary);
      // Without a pull request, a number that is none: the run fails, and so does the demo, with its table.
      return s.createIntegrationRun(
        asProps({ prNumber: Number.isSafeInteger(prNumber) ? prNumber : 0, body: 'Deployed to staging from Port' }),
        {
          integrationActionType: 'create_pr_comment',
          actionIdentifier: 'comment_on_docs_pr',
        },
      );
    },
    made: (r, s) => {
      const found = s.ghes.tracker.comments().filter((c) => c.repo === DOCS.name && c.body.includes(marker(r)));
      return found.length === 1 ? `comment ${found[0]!.id} on pull request #${found[0]!.issueNumber} (by ${found[0]!.user})` : undefined;
    },
    // On the pull request the run above made, as Ocean's message says.
    check: (r, s) =>
      new RegExp(`^Comment created on pull request #${numberIn(s.port.getRun(pullRequestRun!.id)?.summary)}: \\S+$`).test(r.summary ?? ''),
  },
];

const color = (code: number, text: string) => (process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text);
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;

async function main(): Promise<number> {
  console.log(`${stamp()} starting Kafka 3.9 (KRaft, SASL_SSL + SCRAM-SHA-512, ACLs)…`);
  const broker = await startKafkaBroker({});
  const stacks: Record<'A' | 'B', LocalStack> = {
    A: await startLocalStack({ broker: brokerInfo(broker), ghes: { version: '3.21.0', timeScale: 1 } }),
    B: await startLocalStack({ broker: brokerInfo(broker), ghes: { version: '3.19.0', timeScale: 1 } }),
  };
  stacks.A.ghes.addRepo({ owner: 'acme', name: 'payroll', defaultBranch: 'main' });
  stacks.A.ghes.addRepo({ owner: DOCS.owner, name: DOCS.name, defaultBranch: 'main', branches: ['main', DOCS.branch] });
  // report.yml runs long enough for its port-github-action steps to run while it is in progress.
  stacks.A.ghes.addWorkflow('acme', 'infra', {
    path: 'report.yml',
    name: 'report',
    runName: RUN_NAME,
    inputs: { port_run_id: { required: false }, service: { required: false }, port_payload: { required: false } },
    script: { conclusion: 'success', queuedMs: 300, durationMs: 6000 },
  });
  const relayPort = await freePort();
  relayUrl = `http://127.0.0.1:${relayPort}`;
  console.log(
    `${stamp()} broker ${broker.brokers.join(',')}; GHES 3.21 at ${stacks.A.ghes.url}; GHES 3.19 at ${stacks.B.ghes.url}; Port at ${stacks.A.port.url}`,
  );
  const agents: Record<'A' | 'B', AgentProcess> = {
    // Agent A serves both backends at once: Kafka (GitHub App backend) and HTTPS claims (Ocean backend, workflow nodes).
    // It also serves the relay (plain HTTP on loopback here; the chart refuses that unless told), for report.yml only.
    A: await startAgentProcess(stacks.A, {
      auth: 'app',
      overrides: {
        // Workflows in acme/infra; pull requests, issues and comments in acme/docs only (a rule's `actions`).
        policy: {
          allow: [
            { org: 'acme', repo: 'infra' },
            { org: DOCS.owner, repo: DOCS.name, actions: ACTION_TYPES },
          ],
        },
        portApi: { enabled: true, claimIntervalSeconds: 1 },
        relay: {
          enabled: true,
          host: '127.0.0.1',
          port: relayPort,
          audience: RELAY_AUDIENCE,
          policy: [
            { repository: 'acme/infra', workflows: ['report.yml'], write: [RELAY_ENTITY.blueprint], read: [RELAY_ENTITY.blueprint] },
          ],
        },
        log: { level: 'warn' },
      },
    }),
    B: await startAgentProcess(stacks.B, { auth: 'token', overrides: { log: { level: 'warn' } } }),
  };
  let exitCode: number;
  try {
    await Promise.all([agents.A.waitReady(), agents.B.waitReady()]);
    console.log(
      `${stamp()} two agents ready (GitHub App on 3.21 with the Kafka and HTTPS intakes, token on 3.19); ${samples.length} runs: on Kafka, or waiting in Port for a claim\n`,
    );
    const published: Array<{ sample: Sample; run?: SimPortRun }> = [];
    for (const sample of samples) published.push({ sample, run: await sample.publish(stacks[sample.stack]) });

    const seen = new Map<string, number>();
    const lastStatus = new Map<string, string>();
    const settled = (p: { sample: Sample; run?: SimPortRun }) => {
      if (!p.run) return true;
      const r = stacks[p.sample.stack].port.getRun(p.run.id)!;
      if (p.sample.busy?.()) return false;
      return p.sample.expect === 'IN_PROGRESS' ? (p.sample.check?.(r, stacks[p.sample.stack]) ?? false) : r.status !== 'IN_PROGRESS';
    };
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      for (const p of published) {
        if (!p.run) continue;
        const r = stacks[p.sample.stack].port.getRun(p.run.id)!;
        const from = seen.get(r.id) ?? 0;
        for (const l of r.logs.slice(from)) console.log(`${stamp()} ${p.sample.name.padEnd(32)} ${l.message}`);
        seen.set(r.id, r.logs.length);
        if (r.status !== lastStatus.get(r.id) && r.status !== 'IN_PROGRESS')
          console.log(`${stamp()} ${p.sample.name.padEnd(32)} ${color(r.status === 'SUCCESS' ? 32 : 31, r.status)}`);
        lastStatus.set(r.id, r.status);
      }
      if (published.every(settled)) break;
      await new Promise((r) => setTimeout(r, 250));
    }

    console.log('\nResult');
    console.log(`  ${'run'.padEnd(34)}${'expected'.padEnd(13)}${'Port status'.padEnd(13)}${'ok'.padEnd(5)}on GitHub`);
    let allOk = true;
    for (const p of published) {
      let status = 'not a run';
      let link = '';
      let ok: boolean;
      if (p.run) {
        const r = stacks[p.sample.stack].port.getRun(p.run.id)!;
        status = r.status;
        link = Array.isArray(r.link) ? r.link.join(' ') : (r.link ?? '-');
        const s = stacks[p.sample.stack];
        ok = r.status === p.sample.expect && (p.sample.check?.(r, s) ?? true) && (p.sample.made ? p.sample.made(r, s) !== undefined : true);
      } else {
        ok = metricValue(await agents[p.sample.stack].metrics(), 'ghes_agent_messages_total', { outcome: 'invalid' }) >= 1;
      }
      allOk &&= ok;
      console.log(
        `  ${p.sample.name.padEnd(34)}${p.sample.expect.padEnd(13)}${status.padEnd(13)}${(ok ? color(32, 'yes') : color(31, 'NO')).padEnd(ok && process.stdout.isTTY ? 14 : 5)}${link}`,
      );
    }
    // Why, not only what: the failed run's summary as Port shows it.
    const failed = published.find((p) => p.sample.name === 'tests fail')?.run;
    if (failed) {
      const r = stacks.A.port.getRun(failed.id)!;
      console.log(`\nThe failed run's summary in Port (${failed.id}):`);
      for (const line of (r.summary ?? '').split('\n')) console.log(`  ${line}`);
    }
    // The Ocean action types: Port's record (status, Ocean's message) beside what GHES holds.
    console.log(`\nMade on GHES ${stacks.A.ghes.url.replace(/\/api\/v3$/, '')} by Port runs (GitHub Ocean action types, HTTPS intake)`);
    for (const p of published.filter((x) => x.sample.made && x.run)) {
      const r = stacks.A.port.getRun(p.run!.id)!;
      console.log(`  ${p.sample.name.padEnd(34)}${r.status.padEnd(9)}Port: "${r.summary ?? '-'}"`);
      console.log(`  ${''.padEnd(34)}${''.padEnd(9)}GHES: ${p.sample.made!(r, stacks.A) ?? 'nothing found'}`);
    }
    // The relay: what report.yml's steps did, and what Port holds now.
    const reported = published.find((p) => p.sample.name === 'workflow reports via the relay')?.run;
    const entity = stacks.A.port.entities().find((e) => e.blueprint === RELAY_ENTITY.blueprint && e.identifier === RELAY_ENTITY.identifier);
    console.log(
      `\nThrough the relay (${relayUrl}, GitHub OIDC token of run ${relaySteps.githubRunId ?? '?'}, no Port secret in the workflow)`,
    );
    console.log(`  ${'port-github-action step'.padEnd(26)}${'exit'.padEnd(6)}`);
    for (const x of relaySteps.steps) {
      console.log(`  ${x.step.padEnd(26)}${String(x.code).padEnd(6)}${x.code === 0 ? '' : x.output.replace(/\s+/g, ' ')}`);
    }
    if (reported)
      console.log(
        `  Port run ${reported.id}: ${stacks.A.port.getRun(reported.id)!.status}, its log lines from the workflow: ${stacks.A.port.getRun(reported.id)!.logs.filter((l) => /through the relay|upserted$/.test(l.message)).length}`,
      );
    console.log(`  entity in Port: ${entity ? `${entity.blueprint}/${entity.identifier} ${JSON.stringify(entity.properties)}` : 'none'}`);
    const m = await agents.A.metrics();
    console.log(
      `  relay requests answered: ${metricValue(m, 'ghes_agent_relay_requests_total', { outcome: 'ok' })} ok, ${metricValue(m, 'ghes_agent_relay_requests_total') - metricValue(m, 'ghes_agent_relay_requests_total', { outcome: 'ok' })} refused or failed`,
    );

    const dispatches = stacks.A.ghes.dispatches().length + stacks.B.ghes.dispatches().length;
    console.log('\nKey metrics (agent on 3.21)');
    console.log(
      `  runs dispatched: ${metricValue(m, 'ghes_agent_messages_total', { outcome: 'dispatched', intake: 'kafka' })} from Kafka, ${metricValue(m, 'ghes_agent_messages_total', { outcome: 'dispatched', intake: 'port-api' })} claimed over HTTPS; policy denied ${metricValue(m, 'ghes_agent_messages_total', { outcome: 'policy_denied' })}, invalid ${metricValue(m, 'ghes_agent_messages_total', { outcome: 'invalid' })}`,
    );
    console.log(
      `  HTTPS intake: ${metricValue(m, 'ghes_agent_runs_claimed_total')} runs claimed, ${metricValue(m, 'ghes_agent_runs_acknowledged_total')} acknowledged, ${metricValue(m, 'ghes_agent_claim_conflicts_total')} conflicts`,
    );
    console.log(
      `  Ocean action types executed over HTTPS: ${metricValue(m, 'ghes_agent_messages_total', { outcome: 'executed', intake: 'port-api' })}`,
    );
    console.log(
      `  runs completed: ${metricValue(m, 'ghes_agent_runs_completed_total')}, in flight: ${metricValue(m, 'ghes_agent_runs_in_flight')}`,
    );
    console.log(
      `  GitHub requests: ${metricValue(m, 'ghes_agent_github_requests_total')}, Port requests: ${metricValue(m, 'ghes_agent_port_requests_total')}`,
    );
    console.log(`  dispatch requests seen by both GHES simulators: ${dispatches} (one per run)`);
    console.log(
      `\n${allOk ? color(32, 'demo passed') : color(31, 'demo FAILED')}: every run ended as expected: ${allOk ? 'yes' : 'no'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    exitCode = allOk ? 0 : 1;
    if (!allOk) {
      for (const a of Object.values(agents)) console.log(a.output().slice(-4000));
    }
  } finally {
    await Promise.all(Object.values(agents).map((a) => a.stop()));
    await Promise.all(Object.values(stacks).map((s) => s.close()));
    await broker.destroy();
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
