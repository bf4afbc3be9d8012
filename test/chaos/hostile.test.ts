// Scenario `hostile` (issue 23): 200 legitimate runs, and meanwhile hostile inputs aimed at those
// very run ids (the id is easy to learn: it is in the run-name and the port_run_id input):
// - forged Kafka messages: unsigned, and signed with a MAC that does not verify;
// - invalid ones: a bad field (repo "a b"), unsigned;
// - replayed signed copies, their X-Port-Timestamp far outside the signature window;
// - planted GHES runs: a person's run of the same workflow whose run-name shows the run id.
// The agent runs with signature.mode "required" (set here explicitly), and is killed (-9) and
// restarted in the middle, so the redelivery and interrupted-dispatch paths meet the planted runs.
//
// Verdict: `chaos hostile: runs=200 completed=200 duplicates=0 lost=0 forged=N harmed=0`, where
// forged is the number of hostile inputs sent and harmed the legitimate runs that were failed,
// cancelled (the GHES simulator's cancel requests), linked to a planted run, or reported wrongly
// (a final status other than their own GitHub run's, or a hostile message's refusal written to
// them). On failure, the harmed runs are broken down by kind.
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import type { SimRun } from '../sim/ghes/types.js';
import type { SimPortRun } from '../sim/port/types.js';
import { buildRunMessage, signRunMessage, tamperSignature } from '../sim/publisher.js';
import {
  CHAOS_WORKFLOW,
  RUNS,
  type Verdict,
  dispatched,
  publishRuns,
  report,
  saveLogs,
  sleep,
  startChaosAgent,
  startChaosStack,
  tail,
  uncommittedPartitions,
  verdict,
  waitAllDone,
  waitUntil,
} from './harness.js';

/** The person who plants runs (write access to the repository, no Port credentials). */
const MALLORY = 'mallory';
/** The signature window the agent is configured with; replayed copies are signed three times further back. */
const MAX_AGE_S = 300;
const HOSTILE_KINDS = ['unsigned', 'bad-signature', 'invalid-field', 'replayed'] as const;
type HostileKind = (typeof HOSTILE_KINDS)[number];

let stack: LocalStack | undefined;
const agents: AgentProcess[] = [];
after(async () => {
  saveLogs('hostile', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

/** One hostile Kafka message naming `run`, of `kind`. */
function hostileMessage(stack: LocalStack, run: SimPortRun, kind: HostileKind): Record<string, unknown> {
  const msg = buildRunMessage({ orgId: stack.port.orgId, run });
  const secret = stack.port.clientSecret;
  switch (kind) {
    case 'unsigned':
      return msg;
    case 'bad-signature':
      return tamperSignature(signRunMessage(msg, secret));
    case 'invalid-field': {
      const bad = structuredClone(msg) as { payload: { action: { invocationMethod: Record<string, unknown> } } };
      bad.payload.action.invocationMethod.repo = 'a b';
      return bad;
    }
    case 'replayed':
      return signRunMessage(msg, secret, Math.floor(Date.now() / 1000) - 3 * MAX_AGE_S);
  }
}

/** The agent's own GitHub runs, by Port run id. */
function agentRuns(stack: LocalStack, agentLogin: string): Map<string, SimRun[]> {
  const byId = new Map<string, SimRun[]>();
  for (const r of stack.ghes.runs()) {
    if (r.actor !== agentLogin || !r.workflowPath.endsWith(`/${CHAOS_WORKFLOW}`)) continue;
    const id = r.inputs.port_run_id ?? '';
    byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  return byId;
}

/**
 * The legitimate runs the hostile inputs harmed, by kind (a run may show several kinds; it is
 * counted once in `runs`). Counted from the simulators' records only.
 */
function harm(
  stack: LocalStack,
  runs: SimPortRun[],
  planted: Map<string, number[]>,
  agentLogin: string,
): { runs: Set<string>; byKind: Map<string, string[]> } {
  const own = agentRuns(stack, agentLogin);
  const ghesRunToPort = new Map(stack.ghes.runs().map((r) => [r.id, r.inputs.port_run_id ?? '']));
  const cancelled = new Set<string>();
  for (const req of stack.ghes.requests()) {
    const m = /\/actions\/runs\/(\d+)\/(?:force-)?cancel$/.exec(req.path);
    if (req.method === 'POST' && m) cancelled.add(ghesRunToPort.get(Number(m[1])) ?? `unknown GHES run ${m[1]}`);
  }
  const byKind = new Map<string, string[]>();
  const harmed = new Set<string>();
  const note = (kind: string, id: string, why: string) => {
    harmed.add(id);
    byKind.set(kind, [...(byKind.get(kind) ?? []), `${id}: ${why}`]);
  };
  for (const { id } of runs) {
    const r = stack.port.getRun(id)!;
    const mine = own.get(id) ?? [];
    const conclusion = mine.length === 1 && mine[0]!.status === 'completed' ? mine[0]!.conclusion : undefined;
    const expected = conclusion === 'success' ? 'SUCCESS' : conclusion === undefined ? undefined : 'FAILURE';
    if (r.status === 'FAILURE' && expected !== 'FAILURE')
      note(
        'failed',
        id,
        `Port FAILURE, its own GitHub run ${mine.length ? `concluded ${conclusion ?? mine[0]!.status}` : 'was never dispatched'} (${r.summary?.slice(0, 120) ?? ''})`,
      );
    else if (r.status !== 'IN_PROGRESS' && r.status !== expected)
      note('reported wrongly', id, `Port ${r.status}, its own GitHub run ${conclusion ?? 'unfinished'}`);
    if (cancelled.has(id)) note('cancelled', id, 'a cancel request reached GHES for a run of it');
    const record = JSON.stringify(r);
    for (const p of planted.get(id) ?? [])
      if (new RegExp(`/actions/runs/${p}(?!\\d)|_${p}"`).test(record))
        note('linked to a planted run', id, `Port's record names planted run ${p}`);
    const ownUrl = mine.length === 1 ? `${stack.ghes.origin}/${mine[0]!.owner}/${mine[0]!.repo}/actions/runs/${mine[0]!.id}` : undefined;
    if (ownUrl && r.link !== undefined && ![r.link].flat().includes(ownUrl))
      note('reported wrongly', id, `Port links ${JSON.stringify(r.link)}, not its own run ${ownUrl}`);
    const refusal = r.logs.find((l) => /message refused|invalid run message/.test(l.message));
    if (refusal) note('reported wrongly', id, `a hostile message's refusal was written to it: ${refusal.message.slice(0, 120)}`);
  }
  return { runs: harmed, byKind };
}

test('chaos hostile: forged, invalid, replayed and planted inputs aimed at 200 live runs, kill -9 and restart; no legitimate run harmed', async () => {
  stack = await startChaosStack();
  const s = stack;
  const agentLogin = `${s.ghes.app.slug}[bot]`;
  const overrides = { signature: { mode: 'required', maxAgeSeconds: MAX_AGE_S } };
  const first = await startChaosAgent(s, overrides);
  agents.push(first);
  await first.waitReady();

  // Legitimate runs in slices, each id with one hostile message aimed at it, written just before
  // its legitimate message for half of them (same key, same partition: read first) and just
  // after for the others (the run is being dispatched or tracked). Right after each slice, a
  // person plants a run of the chaos workflow for each of its ids, its run-name showing the id:
  // every other one still going when the restarted agent looks (the redelivery locator meets
  // it), the others completed within a second (the interrupted-dispatch look meets those).
  const runs: SimPortRun[] = [];
  const planted = new Map<string, number[]>();
  let forged = 0;
  const per = 20;
  for (let offset = 0; offset < RUNS; offset += per) {
    const slice = await publishRuns(s, Math.min(per, RUNS - offset), {
      offset,
      around: (run, k) => {
        forged++;
        const m = hostileMessage(s, run, HOSTILE_KINDS[k % HOSTILE_KINDS.length]!);
        return Math.floor(k / HOSTILE_KINDS.length) % 2 === 0 ? { before: [m] } : { after: [m] };
      },
    });
    runs.push(...slice);
    slice.forEach((run, i) => {
      const k = offset + i;
      const script =
        k % 2 === 0
          ? { conclusion: 'failure' as const, queuedMs: 200, durationMs: 120_000 }
          : { conclusion: 'failure' as const, queuedMs: 100, durationMs: 500 };
      planted.set(
        run.id,
        s.ghes.addRuns({
          owner: s.ghOrg,
          repo: 'infra',
          workflow: CHAOS_WORKFLOW,
          actor: MALLORY,
          inputs: { port_run_id: run.id, n: String(k) },
          script,
        }),
      );
      forged++;
    });
  }
  const plantedIds = new Set([...planted.values()].flat());

  // kill -9 while dispatches are under way, and a restart.
  await waitUntil(runs, s, Math.ceil(RUNS * 0.4), dispatched);
  first.proc.kill('SIGKILL');
  await first.waitExit();
  const second = await startChaosAgent(s, overrides);
  agents.push(second);
  await second.waitReady();

  await waitAllDone(s, runs);
  // Every message handled, the hostile ones too (they may trail their run's in a partition).
  const behind = await uncommittedPartitions(s, 60_000);
  await sleep(2000);

  const v: Verdict = verdict(s, runs, { notTheAgents: plantedIds });
  const h = harm(s, runs, planted, agentLogin);
  v.extra = [
    { name: 'forged', value: forged },
    {
      name: 'harmed',
      value: h.runs.size,
      zero: true,
      detail: () => [...h.byKind].map(([kind, list]) => `${kind}: ${list.length}\n  ${list.slice(0, 5).join('\n  ')}`).join('\n'),
    },
  ];
  report('hostile', v, () => `${behind.length ? `partitions not committed to their end: ${behind.join(', ')}\n` : ''}${tail(second)}`);
});
