/**
 * The fields of a GitHub workflow invocation, checked the same way for every backend: GITHUB
 * runs carry them in `invocationMethod` (Kafka), INTEGRATION_ACTION runs in
 * `integrationActionExecutionProperties` (claimed over HTTPS). Nothing here throws: any JSON may
 * arrive, and each field is checked for its type and GitHub's own naming rules before use, so a
 * bad run cannot build odd URLs.
 */
export interface WorkflowFields {
  org: string;
  repo: string;
  workflow: string;
  workflowInputs: Record<string, unknown>;
  reportWorkflowStatus: boolean;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// GitHub's own rules for owner and repository names.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^(?:\d{1,20}|[A-Za-z0-9._ -]{1,255}\.ya?ml)$/;

/** Far more than Port's envelope and any sensible entity need. */
export const MAX_DEPTH = 64;

export function readWorkflowFields(props: Record<string, unknown>, where: string): { ok: true; fields: WorkflowFields } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const field = (name: string, re: RegExp, what: string): string => {
    const v = props[name];
    if (typeof v === 'number' && name === 'workflow' && Number.isSafeInteger(v) && v > 0) return String(v);
    if (typeof v !== 'string' || !re.test(v)) {
      problems.push(`${where}.${name} ${v === undefined ? 'is missing' : `is not ${what}`}`);
      return '';
    }
    return v;
  };
  const org = field('org', OWNER, 'a GitHub organization name');
  const repo = field('repo', REPO, 'a repository name');
  const workflow = field('workflow', WORKFLOW, 'a workflow file name (e.g. deploy.yml) or id');
  let workflowInputs: Record<string, unknown> = {};
  if (props.workflowInputs !== undefined && props.workflowInputs !== null) {
    if (isObject(props.workflowInputs)) workflowInputs = props.workflowInputs;
    else problems.push(`${where}.workflowInputs is not an object`);
  }
  // Port's docs: "By default, this is set to true" (setup-backend/github-ocean, github-workflow).
  let reportWorkflowStatus = true;
  if (props.reportWorkflowStatus !== undefined) {
    if (typeof props.reportWorkflowStatus === 'boolean') reportWorkflowStatus = props.reportWorkflowStatus;
    else problems.push(`${where}.reportWorkflowStatus is not a boolean`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, fields: { org, repo, workflow, workflowInputs, reportWorkflowStatus } };
}

/** Iterative, so the check itself cannot overflow the stack on a value nested thousands deep. */
export function deeperThan(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
