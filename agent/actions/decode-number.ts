/**
 * Pure: a GitHub number or id (an issue number, a comment id) given as a positive integer or its
 * decimal string, as pydantic's `int` accepts in Ocean's inputs (abstract_github_action_input.py);
 * anything else pushes a problem naming the field and gives 0.
 */
export function positiveInteger(props: Record<string, unknown>, name: string, what: string, problems: string[]): number {
  const raw = props[name];
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) return n;
  problems.push(`integrationActionExecutionProperties.${name} ${raw === undefined ? 'is missing' : `is not ${what}`}`);
  return 0;
}
