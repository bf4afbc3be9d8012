// The local stack every integration test, the demo and the benchmark share: the real broker
// (shared or private), a GHES simulator, a Port simulator, one org with its topic and ACLs,
// and an admin producer that publishes Port-shaped runs.
import { randomBytes } from 'node:crypto';
import kafkajs, { type Producer } from 'kafkajs';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim, GhesSimOptions, WorkflowSpec } from '../sim/ghes/types.js';
import { startPortSim } from '../sim/port/server.js';
import type { GithubInvocation, PortSim, PortSimOptions, SimPortRun } from '../sim/port/types.js';
import { type SignatureVariant, createAndPublishRun, publishMessages } from '../sim/publisher.js';
import type { KafkaBrokerInfo } from './kafka-broker.js';
import { createOrgTopic, kafkaClientConfig } from './kafka-org.js';
import { getTestBroker } from './shared-broker.js';
import { fixKafkajsIdleLoop } from '../../agent/kafka/kafkajs-idle-loop-fix.js';

export interface LocalStack {
  broker: KafkaBrokerInfo;
  ghes: GhesSim;
  port: PortSim;
  org: string;
  topic: string;
  producer: Producer;
  /** The GitHub org the sample repositories live in. */
  ghOrg: string;
  publish(
    invocation: GithubInvocation,
    opts?: { sign?: boolean; tamper?: boolean; kind?: 'action' | 'workflow-node'; signatureVariant?: SignatureVariant },
  ): Promise<SimPortRun>;
  /**
   * A run of the GitHub Ocean backend (INTEGRATION_ACTION, dispatch_workflow) for an installation
   * (default 'ghes-agent'), or a workflow-node run of it: Port keeps it for a claim, nothing goes to Kafka.
   */
  createIntegrationRun(
    props: IntegrationProps,
    opts?: { kind?: 'action' | 'workflow-node'; installationId?: string; actionIdentifier?: string; integrationActionType?: string },
  ): SimPortRun;
  publishRaw(value: string | Buffer | Record<string, unknown>, key?: string): Promise<void>;
  waitForRun(runId: string, done: (r: SimPortRun) => boolean, timeoutMs?: number): Promise<SimPortRun>;
  close(): Promise<void>;
}

export const RUN_NAME = 'Port run ${{ inputs.port_run_id }}';

/** integrationActionExecutionProperties of a dispatch_workflow run. */
export interface IntegrationProps {
  org: unknown;
  repo: unknown;
  workflow: unknown;
  workflowInputs?: Record<string, unknown>;
  reportWorkflowStatus?: boolean;
}

export const DEFAULT_INSTALLATION = 'ghes-agent';

/** fail.yml's jobs: build passes, test fails in "Run tests" with these last lines. */
export const FAILING_JOBS = [
  { name: 'build', steps: [{ name: 'Checkout' }, { name: 'Compile' }] },
  {
    name: 'test',
    steps: [
      { name: 'Set up' },
      {
        name: 'Run tests',
        conclusion: 'failure' as const,
        log: [
          '> npm test',
          'PASS src/api.test.ts',
          'FAIL src/deploy.test.ts',
          '  ● deploy › rolls back on error',
          '    Expected: "rolled back"',
          '    Received: "stuck"',
          'Tests: 1 failed, 41 passed, 42 total',
        ],
      },
      { name: 'Upload coverage' },
    ],
  },
];

/** approve.yml waits on production, which these approve. */
export const APPROVERS = [{ name: 'production', reviewers: ['alice', 'team:release-managers'] }];

/** The sample repository: one workflow per interesting outcome, with and without a run-name. */
export function addSampleRepo(ghes: GhesSim, owner: string, name = 'infra'): void {
  ghes.addRepo({ owner, name, defaultBranch: 'main', branches: ['main', 'release'], tags: ['v1.0.0'] });
  const inputs = { port_run_id: { required: false }, service: { required: false }, port_payload: { required: false } };
  const wf = (
    path: string,
    conclusion: WorkflowSpec extends { script?: infer S } ? (S extends { conclusion: infer C } ? C : never) : never,
    extra: Partial<WorkflowSpec> = {},
  ): WorkflowSpec => ({
    path,
    name: path.replace(/\.ya?ml$/, ''),
    runName: RUN_NAME,
    inputs,
    script: { conclusion, queuedMs: 300, durationMs: 1500 },
    ...extra,
  });
  ghes.addWorkflow(owner, name, wf('deploy.yml', 'success'));
  // A failing test step, with its log: the failure excerpt (issue 13) shows its last lines.
  ghes.addWorkflow(
    owner,
    name,
    wf('fail.yml', 'failure', { script: { conclusion: 'failure', queuedMs: 300, durationMs: 1500, jobs: FAILING_JOBS } }),
  );
  ghes.addWorkflow(owner, name, wf('cancel.yml', 'cancelled'));
  ghes.addWorkflow(owner, name, wf('skip.yml', 'skipped'));
  // The approval outlasts the agent's status sweep (3 poll intervals of 0.5 s in tests): status
  // lines come at the sweep's pace, and a human approval takes minutes, not a second.
  ghes.addWorkflow(
    owner,
    name,
    wf('approve.yml', 'success', {
      script: { conclusion: 'success', queuedMs: 200, waitingMs: 2500, durationMs: 800, environments: APPROVERS },
    }),
  );
  // Long enough for job progress lines at the sweep's pace, and to be cancelled from Port.
  ghes.addWorkflow(
    owner,
    name,
    wf('build-and-test.yml', 'success', {
      script: { conclusion: 'success', queuedMs: 200, durationMs: 6000, jobs: [{ name: 'build' }, { name: 'test' }] },
    }),
  );
  ghes.addWorkflow(
    owner,
    name,
    wf('long.yml', 'success', { script: { conclusion: 'success', queuedMs: 200, durationMs: 600_000, cancelDelayMs: 500 } }),
  );
  // A job with `if: always()`: a cancel does not take, only a force-cancel ends it.
  ghes.addWorkflow(
    owner,
    name,
    wf('stubborn.yml', 'success', { script: { conclusion: 'success', queuedMs: 200, durationMs: 600_000, ignoresCancel: true } }),
  );
  ghes.addWorkflow(owner, name, wf('no-run-name.yml', 'success', { runName: undefined, inputs: { service: { required: false } } }));
  ghes.addWorkflow(
    owner,
    name,
    wf('needs-env.yml', 'success', { inputs: { environment: { required: true }, port_run_id: { required: false } } }),
  );
}

export async function startLocalStack(
  opts: { ghes?: GhesSimOptions; port?: Partial<PortSimOptions>; broker?: KafkaBrokerInfo; partitions?: number; org?: string } = {},
): Promise<LocalStack> {
  // The harness's own kafkajs clients (publisher, admin) without the 1 ms idle loop either: on
  // two cores, test equipment must not spin.
  fixKafkajsIdleLoop();
  const broker = opts.broker ?? (await getTestBroker());
  const org = opts.org ?? `org_${randomBytes(5).toString('hex')}`;
  const topic = await createOrgTopic(broker, org, { partitions: opts.partitions ?? 6 });
  const ghes = await startGhesSim({ runAppearDelayMs: 200, ...opts.ghes });
  const ghOrg = 'acme';
  ghes.addInstallation(ghOrg);
  addSampleRepo(ghes, ghOrg);
  const port = await startPortSim({
    orgId: org,
    clientId: `client_${randomBytes(6).toString('hex')}`,
    clientSecret: `secret_${randomBytes(18).toString('hex')}`,
    kafka: { brokers: broker.brokers, username: broker.agent.username, password: broker.agent.password },
    ...opts.port,
  });
  const producer = new kafkajs.Kafka(kafkaClientConfig(broker, 'admin', `publisher-${org}`)).producer();
  await producer.connect();

  return {
    broker,
    ghes,
    port,
    org,
    topic,
    producer,
    ghOrg,
    publish: (invocation, o) => createAndPublishRun(port, producer, topic, invocation, o),
    createIntegrationRun: (props, o = {}) =>
      port.createRun({
        kind: o.kind,
        actionIdentifier: o.actionIdentifier ?? 'deploy',
        invocation: {
          type: 'INTEGRATION_ACTION',
          installationId: o.installationId ?? DEFAULT_INSTALLATION,
          integrationActionType: o.integrationActionType ?? 'dispatch_workflow',
          integrationActionExecutionProperties: { ...props },
        },
      }),
    publishRaw: (value, key) => publishMessages(producer, topic, [{ key, value }]),
    async waitForRun(runId, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = port.getRun(runId);
        if (run && done(run)) return run;
        if (Date.now() > deadline)
          throw new Error(
            `run ${runId} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(run, null, 1)?.slice(0, 1500)}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await producer.disconnect().catch(() => undefined);
      await Promise.all([ghes.close(), port.close()]);
    },
  };
}

export const isFinal = (r: SimPortRun) => r.status !== 'IN_PROGRESS';
