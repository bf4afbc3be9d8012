// Bench phase "relay" (issue 26, docs/relay.md): what the relay costs. Workflows call it with
// their GHES OIDC token; the compiled agent verifies the token (RS256 against the GHES
// simulator's JWKS, iss, aud, exp, nbf: agent/relay/oidc-verifier.ts, on every request, as the
// relay is stateless), checks the repository's rate and relay.policy, and forwards the request to
// Port's simulator with its own credential. The request is the one port-github-action's UPSERT
// makes (POST /v1/blueprints/{bp}/entities?upsert=true&merge=true, src/clients/port/upsertEntity.ts
// of v1.7.10; no run_id, so no Port read of a run: the verification and the forward alone).
//
// Two measures, each against the same Port simulator:
// - requests per second, and per core: `count` upserts from `CONCURRENCY` callers with the tokens
//   of `REPOS` workflow runs of different repositories; the agent's CPU time over that window
//   gives its CPU per request, so 1000 / that is what one core sustains (the agent is one
//   JavaScript thread);
// - added latency: `pairs` upserts one at a time, each once directly to Port (with a Port access
//   token, as the action does with the client secret) and once through the relay, alternating so
//   both see the same machine; the relay's p50/p99 minus the direct one's.
// relay.requestsPerRepoPerMinute is raised for the phase: the per-repository bucket is a policy,
// not a cost, and would otherwise answer most of these with 429.
import { performance } from 'node:perf_hooks';
import { freePort } from '../stack/free-port.js';
import { startBenchStack } from './bench-stack.js';
import { type BenchContext, type CpuShare, perUnit } from './phase.js';
import { percentile } from './stats.js';

const AUDIENCE = 'ghes-agent';
const REPOS = 10;
const CONCURRENCY = 16;
const WARMUP = 100;

export interface RelayResult {
  count: number;
  concurrency: number;
  repos: number;
  /** Relay requests answered per second, wall clock, at CONCURRENCY callers. */
  perS: number;
  /** CPU ms per relay request: agent, bench process (callers and both simulators), broker. */
  cpu: CpuShare;
  /** 1000 / the agent's CPU ms per request: what one core of the agent sustains. */
  perCoreS: number;
  pairs: number;
  directP50: number;
  directP99: number;
  relayP50: number;
  relayP99: number;
  /** Answers other than 201 (none expected). */
  failures: number;
}

/** One upsert as port-github-action sends it; resolves to its status and the milliseconds it took. */
async function upsert(baseUrl: string, bearer: string, identifier: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/v1/blueprints/service/entities?upsert=true&merge=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, title: identifier, properties: { tier: 'gold', version: '1.4.2' } }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

export async function relayPhase(ctx: BenchContext, count: number, pairs: number): Promise<RelayResult> {
  const stack = await startBenchStack(ctx.broker, { repos: REPOS, timeScale: 1 });
  const relayPort = await freePort();
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  // A workflow run in each repository, in progress for the whole phase: each gives its token.
  const runIds = stack.repoNames.map(
    (repo) =>
      stack.ghes.addRuns({
        owner: stack.ghOrg,
        repo,
        workflow: 'bench.yml',
        script: { conclusion: 'success', queuedMs: 0, durationMs: 3_600_000 },
      })[0]!,
  );
  const overrides = {
    relay: {
      enabled: true,
      host: '127.0.0.1',
      port: relayPort,
      audience: AUDIENCE,
      policy: [{ repository: `${stack.ghOrg}/*`, write: ['service'], read: ['service'] }],
      requestsPerRepoPerMinute: 100_000_000,
    },
  };
  return ctx.withAgent(stack, overrides, async (agent) => {
    // GHES's tokens live 5 minutes (simulated clock at real speed): minted now, they outlive the phase.
    const tokens = await Promise.all(runIds.map((id) => stack.ghes.oidc.mintForRun(id, { audience: AUDIENCE })));
    const portToken = await fetch(`${stack.port.url}/v1/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: stack.port.clientId, clientSecret: stack.port.clientSecret }),
    }).then(async (r) => ((await r.json()) as { accessToken: string }).accessToken);
    let failures = 0;
    const check = <R extends { status: number }>(r: R): R => {
      if (r.status !== 201) failures++;
      return r;
    };
    // Warm-up: JIT, the JWKS fetch, keep-alive connections on both sides.
    for (let i = 0; i < WARMUP; i++) {
      check(await upsert(relayUrl, tokens[i % REPOS]!, `warm-${i}`));
      check(await upsert(stack.port.url, portToken, `warm-${i}`));
    }
    if (failures > 0)
      throw new Error(
        `bench relay: ${failures} warm-up requests were not answered 201: is the relay serving? ${agent.output().slice(-2000)}`,
      );

    // Added latency, one request at a time, direct and relayed alternately.
    const direct: number[] = [];
    const relayed: number[] = [];
    for (let i = 0; i < pairs; i++) {
      direct.push(check(await upsert(stack.port.url, portToken, `lat-${i % 200}`)).ms);
      relayed.push(check(await upsert(relayUrl, tokens[i % REPOS]!, `lat-${i % 200}`)).ms);
    }
    ctx.say(
      `relay: ${pairs} pairs one at a time: direct p50 ${percentile(direct, 50).toFixed(2)} ms, relayed p50 ${percentile(relayed, 50).toFixed(2)} ms`,
    );

    // Throughput: CONCURRENCY callers share `count` requests, the tokens of REPOS runs in turn.
    let next = 0;
    const meter = ctx.cpu(agent);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < count; i = next++) check(await upsert(relayUrl, tokens[i % REPOS]!, `svc-${i % 500}`));
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    const cpu = perUnit(meter.stop(), count);
    ctx.say(
      `relay: ${count} requests from ${CONCURRENCY} callers in ${elapsedS.toFixed(1)} s; agent CPU ${cpu.agent.toFixed(3)} ms per request`,
    );
    return {
      count,
      concurrency: CONCURRENCY,
      repos: REPOS,
      perS: count / elapsedS,
      cpu,
      perCoreS: 1000 / cpu.agent,
      pairs,
      directP50: percentile(direct, 50),
      directP99: percentile(direct, 99),
      relayP50: percentile(relayed, 50),
      relayP99: percentile(relayed, 99),
      failures,
    };
  });
}
