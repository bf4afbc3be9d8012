// Bench phase "token-renewal": what an installation token renewal costs the batched watcher.
// GitHub computes a list's ETag per credential, so a new token sees every list as changed
// (github-enterprise.md; the GHES simulator does the same). Runs that never change are tracked
// while the simulator's tokens live 24 s (GHES's live an hour): between renewals every list
// answers 304, and each renewal costs some 200s per repository, counted here.
import type { LocalStack } from '../stack/local-stack.js';
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import { planRuns, publishRuns, startBenchStack } from './bench-stack.js';

type WithAgent = <T>(stack: LocalStack, overrides: Record<string, Record<string, unknown>>, fn: () => Promise<T>) => Promise<T>;

const LIST = 'GET /repos/{owner}/{repo}/actions/runs';
const TOKEN = 'POST /app/installations/{installation_id}/access_tokens';

export async function tokenRenewal(broker: KafkaBrokerInfo, withAgent: WithAgent, say: (line: string) => void) {
  const repos = 10;
  const tokenTtlMs = 24_000;
  const windowMs = 75_000;
  const stack = await startBenchStack(broker, { repos, timeScale: 1, ghes: { tokenTtlMs } });
  return withAgent(stack, { tracking: { pollIntervalSeconds: 1 } }, async () => {
    const runs = planRuns('tk', repos, stack.repoNames, () => 3600_000);
    await publishRuns(stack, runs);
    const dispatched = () => stack.ghes.dispatches().filter((d) => d.status === 200).length;
    while (dispatched() < repos) await new Promise((r) => setTimeout(r, 250));
    // Settle: every repository listed once with the first token.
    await new Promise((r) => setTimeout(r, 8_000));
    const start = Date.now();
    say(
      `token renewal: ${repos} repositories with a run that never changes, tokens living ${tokenTtlMs / 1000} s, watched for ${windowMs / 1000} s`,
    );
    await new Promise((r) => setTimeout(r, windowMs));
    const log = stack.ghes.requests().filter((r) => r.at >= start);
    const renewals = log.filter((r) => r.route === TOKEN && r.status === 201).length;
    const lists = log.filter((r) => r.route === LIST);
    const lists200 = lists.filter((r) => r.status === 200).length;
    const lists304 = lists.filter((r) => r.status === 304).length;
    const unauthorized = log.filter((r) => r.status === 401).length;
    return {
      repos,
      renewals,
      lists200,
      lists304,
      unauthorized,
      per200: renewals ? lists200 / (repos * renewals) : NaN,
      tokenTtlS: tokenTtlMs / 1000,
      windowS: windowMs / 1000,
    };
  });
}
