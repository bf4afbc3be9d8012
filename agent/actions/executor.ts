import type { PolicyRule } from '../config/schema.js';
import type { ContentApi } from '../github/content-api.js';
import { ACTION_ROUTES, actionAvailability } from '../github/ghes-routes.js';
import type { Version } from '../github/ghes-version.js';
import type { Reporter } from '../port/reporter.js';
import type { RunReports } from '../run/run-reports.js';
import type { RunScope } from '../run/run-scope.js';
import type { ActionType } from '../types/run-request.js';
import type { Clock } from '../util/backoff.js';

/** A pure decoding of a type's execution properties: the value, or every problem found. */
export type Decoded<P> = { ok: true; value: P } | { ok: false; problems: string[] };

/**
 * One Port action type (Ocean's `AbstractGithubExecutor`: port-labs/ocean
 * integrations/github/github/actions/abstract_github_executor.py, one subclass per
 * `ACTION_NAME`, registered in registry.py). `execute` takes the run's scope and resolves once the
 * run is done for good (finished and reported, or refused and reported FAILURE), as the
 * processor's `handle` promises its intake; it rejects only when aborted or when the lease ran
 * out before the write (run-scope.ts LeaseExpired).
 */
export interface ActionExecutor {
  readonly type: ActionType;
  /**
   * The status labels it writes to a run before and after its write (its intent and its
   * result): a run whose record shows one is under way or done, and a refusal leaves it alone
   * (run-reports.ts refuse).
   */
  readonly labels: readonly string[];
  execute(scope: RunScope): Promise<void>;
}

/** What the write executors need, passed in (no module-level state). */
export interface WriteDeps {
  reports: Pick<RunReports, 'fail' | 'openRecord' | 'finalReport'>;
  reporter: Pick<Reporter, 'send'>;
  content: ContentApi;
  /** The GHES version the agent talks to (build-github.ts). */
  version: Version;
  policy: PolicyRule[];
  /** The agent's own login (the App's bot or the token's user): issues are looked for among its own. */
  actor: string | undefined;
  clock: Clock;
}

/**
 * Why this GHES cannot run `type`, or undefined when it can: from the route table computed from
 * GitHub's OpenAPI descriptions (github/ghes-routes.ts, @octokit/openapi generated/ghes-*.json),
 * naming the first GHES version that has every route the type writes with.
 */
export function unavailableOn(type: string, version: Version): string | undefined {
  const a = actionAvailability(type, version);
  if (a.ok) return undefined;
  if ('unknown' in a) return `${type} is not one of Port's GitHub Ocean action types`;
  if (a.needs === null)
    return `${type} writes with routes (${(ACTION_ROUTES[type] ?? []).join(', ')}) that no GHES version documents (GitHub's OpenAPI descriptions of GHES 3.17 to 3.19 and of api.github.com lack them), so no GHES can run it`;
  return `${type} needs GHES ${a.needs} or later (its REST route is in GitHub's description of that version); this GHES is ${version.join('.')}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field readers shared by the executors' decoders: each pushes a problem naming the field. */
export function fieldReader(props: Record<string, unknown>, problems: string[]) {
  const where = (name: string) => `integrationActionExecutionProperties.${name}`;
  return {
    text(name: string, max: number): string {
      const v = props[name];
      if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
        problems.push(`${where(name)} ${v === undefined ? 'is missing' : `is not a non-empty string of at most ${max} characters`}`);
        return '';
      }
      return v;
    },
    optionalText(name: string, max: number): string | undefined {
      const v = props[name];
      if (v === undefined || v === null || v === '') return undefined;
      if (typeof v !== 'string' || v.length > max) {
        problems.push(`${where(name)} is not a string of at most ${max} characters`);
        return undefined;
      }
      return v;
    },
    optionalFlag(name: string): boolean | undefined {
      const v = props[name];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      problems.push(`${where(name)} is not a boolean`);
      return undefined;
    },
    optionalNames(name: string): string[] | undefined {
      const v = props[name];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.length > 100 || v.some((x) => typeof x !== 'string' || x === '' || x.length > 256)) {
        problems.push(`${where(name)} is not a list of names`);
        return undefined;
      }
      return v as string[];
    },
  };
}

export { isObject };
