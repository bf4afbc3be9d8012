import type { WorkflowRun } from './run-list-api.js';

/**
 * Every page of a filtered runs list, 100 at a time, until a short page (or `read` answers
 * `undefined`: unchanged). GitHub returns at most 1,000 results for a filtered list. Used where
 * missing a run would mean dispatching it twice.
 */
export async function everyPage(
  read: (page: number, perPage: number) => Promise<WorkflowRun[] | undefined>,
  maxPages = 10,
): Promise<WorkflowRun[]> {
  const perPage = 100;
  const runs: WorkflowRun[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const got = await read(page, perPage);
    if (!got) break;
    runs.push(...got);
    if (got.length < perPage) break;
  }
  return runs;
}
