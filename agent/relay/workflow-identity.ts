/**
 * Who is calling the relay, from the claims of a GitHub Actions OIDC token that oidc-verifier.ts
 * has verified (signature, issuer, audience, exp, nbf). Pure.
 *
 * Claim names and shapes: GitHub docs "OpenID Connect reference" (enterprise-server): `repository`
 * (owner/name), `repository_id`, `repository_owner_id`, `run_id`, `run_attempt` (numbers written
 * as strings), `workflow_ref` (`owner/repo/.github/workflows/file.yml@refs/heads/main`), `ref`,
 * `environment` (only for a job that names one), `actor`.
 */
import { AgentError } from '../errors.js';

export interface WorkflowIdentity {
  /** owner/name as GHES spells it. */
  repository: string;
  repositoryId: number;
  ownerId: number;
  /** The workflow run (GitHub's run id: unique on the GHES instance). */
  runId: number;
  /** The calling workflow's file name (deploy.yml), from workflow_ref. */
  workflowFile: string;
  workflowRef: string;
  ref: string;
  environment: string | undefined;
  actor: string | undefined;
}

const positiveId = (v: unknown): number | undefined => {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,16}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** The identity in verified claims, or an 'auth' AgentError naming the claim that is missing or malformed. */
export function workflowIdentity(claims: Record<string, unknown>): WorkflowIdentity {
  const bad = (claim: string) =>
    new AgentError('auth', `the token's ${claim} claim is missing or malformed: not a GitHub Actions OIDC token`, { status: 401 });
  const repository = claims.repository;
  if (typeof repository !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw bad('repository');
  const repositoryId = positiveId(claims.repository_id);
  if (repositoryId === undefined) throw bad('repository_id');
  const ownerId = positiveId(claims.repository_owner_id);
  if (ownerId === undefined) throw bad('repository_owner_id');
  const runId = positiveId(claims.run_id);
  if (runId === undefined) throw bad('run_id');
  const workflowRef = claims.workflow_ref;
  if (typeof workflowRef !== 'string') throw bad('workflow_ref');
  // owner/repo/.github/workflows/deploy.yml@refs/heads/main: the file is the workflow's, the
  // repository part must be the token's own (a caller in another repository has its own token).
  const m = /^([^/]+\/[^/]+)\/\.github\/workflows\/([^/@]+)@(.+)$/.exec(workflowRef);
  if (!m || m[1]!.toLowerCase() !== repository.toLowerCase()) throw bad('workflow_ref');
  const ref = claims.ref;
  if (typeof ref !== 'string' || ref === '') throw bad('ref');
  const environment = typeof claims.environment === 'string' && claims.environment !== '' ? claims.environment : undefined;
  const actor = typeof claims.actor === 'string' ? claims.actor : undefined;
  return { repository, repositoryId, ownerId, runId, workflowFile: m[2]!, workflowRef, ref, environment, actor };
}
