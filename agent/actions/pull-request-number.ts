/**
 * Pure: Ocean's `prNumber: int` (pydantic, which also takes a decimal string such as "12"), as
 * update/merge/review_pull_request_executor.py declare it; a problem naming the field otherwise.
 */
export function readPrNumber(props: Record<string, unknown>, problems: string[]): number {
  const raw = props.prNumber;
  const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) return n;
  problems.push(`integrationActionExecutionProperties.prNumber ${raw === undefined ? 'is missing' : 'is not a pull request number'}`);
  return 0;
}
