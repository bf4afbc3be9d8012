import { DEFAULT_POLICY_ACTION, type PolicyRule } from '../config/schema.js';
import { globToRegExp } from './glob.js';

export type PolicyVerdict = { allowed: true } | { allowed: false; reason: string };

export interface PolicySubject {
  org: string;
  repo: string;
  workflow: string;
  ref: string;
  defaultBranch: string;
}

/**
 * The ref the policy judges, and so the ref the agent dispatches: "main" means refs/heads/main
 * (a short name is a branch), a ref starting with refs/ is taken as written (refs/tags/v1 stays
 * a tag). Dispatching the short name instead would leave GHES to pick between a branch and a tag
 * of that name (dispatch-workflow.ts says what is known of that), so a tag named like an
 * approved branch could run instead of it.
 */
export function qualifiedRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}

/** Refs as users write them: "main" means refs/heads/main; "@default" the repository's default branch. */
function refMatches(pattern: string, ref: string, defaultBranch: string): boolean {
  const qualified = qualifiedRef(ref);
  if (pattern === '@default') return qualified === `refs/heads/${defaultBranch}`;
  const re = globToRegExp(pattern, false);
  const qualifiedPattern = pattern.startsWith('refs/') ? re : globToRegExp(`refs/heads/${pattern}`, false);
  return re.test(ref) || qualifiedPattern.test(qualified);
}

const describe = (r: PolicyRule) => `${r.org}/${r.repo}/${r.workflow}${r.refs.length ? ` refs [${r.refs.join(', ')}]` : ''}`;

/** A rule read without its `actions` (tests, older callers) allows dispatch_workflow only. */
const actionsOf = (r: PolicyRule) => r.actions ?? [DEFAULT_POLICY_ACTION];

const targetRules = (rules: PolicyRule[], s: PolicyTarget) =>
  rules.filter(
    (r) =>
      actionsOf(r).includes(DEFAULT_POLICY_ACTION) &&
      globToRegExp(r.org, true).test(s.org) &&
      globToRegExp(r.repo, true).test(s.repo) &&
      globToRegExp(r.workflow, false).test(s.workflow),
  );

/** The part of a subject known before anything is read from GHES: what the invocation names. */
export type PolicyTarget = Pick<PolicySubject, 'org' | 'repo' | 'workflow'>;

/**
 * The organization, repository and workflow part of the policy, decided from the invocation
 * alone, before any GHES request for the run (issue 23): reading the repository first would
 * tell a Port user whether a repository outside the policy exists (an error for a missing one, a
 * policy refusal for an existing one). The ref part needs the default branch, so it is decided
 * by evaluatePolicy once the repository, now allowed, has been read.
 */
export function evaluateTarget(rules: PolicyRule[], s: PolicyTarget): PolicyVerdict {
  if (rules.length === 0 || targetRules(rules, s).length > 0) return { allowed: true };
  return {
    allowed: false,
    reason: `not allowed by this agent's policy: ${s.org}/${s.repo} workflow ${s.workflow} matches no rule of policy.allow (${rules.map(describe).join('; ')})`,
  };
}

/**
 * Default-deny once any rule is configured; no rules allow everything (the agent's App
 * installation already bounds what it can reach). Org and repo compare case-insensitively as
 * GitHub does; workflow file names and refs are case-sensitive.
 */
export function evaluatePolicy(rules: PolicyRule[], s: PolicySubject): PolicyVerdict {
  const first = evaluateTarget(rules, s);
  if (!first.allowed || rules.length === 0) return first;
  const target = targetRules(rules, s);
  const subject = `${s.org}/${s.repo} workflow ${s.workflow}`;
  if (target.some((r) => r.refs.length === 0 || r.refs.some((p) => refMatches(p, s.ref, s.defaultBranch)))) return { allowed: true };
  return {
    allowed: false,
    reason: `not allowed by this agent's policy: ref ${s.ref} of ${subject} is refused by rule ${target.map(describe).join('; ')}`,
  };
}

/**
 * The policy for an action type other than dispatch_workflow (issue 24): allowed only by a rule
 * that names the type in its `actions` and whose org and repo match; `workflow` and `refs`
 * speak of workflows and are not read. With no rules at all, no such type is allowed: an
 * upgrade changes nothing for a user who did not ask for them. Who triggers it: any Port user
 * who can run an action pointed at this installation; what stops them writing pull requests,
 * issues or comments where the platform team did not allow it: this check, made before any GHES
 * request for the run.
 */
export function evaluateAction(rules: PolicyRule[], s: { org: string; repo: string; action: string }): PolicyVerdict {
  if (
    rules.some((r) => actionsOf(r).includes(s.action) && globToRegExp(r.org, true).test(s.org) && globToRegExp(r.repo, true).test(s.repo))
  )
    return { allowed: true };
  const named = rules.filter((r) => actionsOf(r).includes(s.action));
  return {
    allowed: false,
    reason: `not allowed by this agent's policy: action ${s.action} on ${s.org}/${s.repo} ${
      named.length
        ? `matches no rule of policy.allow naming it (${named.map((r) => `${r.org}/${r.repo}`).join('; ')})`
        : `is named by no rule of policy.allow (add it to a rule's "actions")`
    }`,
  };
}
