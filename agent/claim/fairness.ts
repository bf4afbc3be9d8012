/**
 * Which actions (or workflow nodes) to leave out of the next claim: those already holding
 * `maxSharePercent` of the runs waiting for dispatch. One action flooding Port's queue then
 * fills at most that share of what this agent takes in, and the others keep being claimed.
 * Ocean's answer to the same problem, with its default of 30 % (ocean
 * core/handlers/actions/execution_manager.py `_claim_exclusions`,
 * config/settings.py `max_runs_buffer_util_pct_per_action`). Pure.
 */
export function saturatedKeys(waiting: Map<string, number>, bufferSize: number, maxSharePercent: number): string[] {
  const limit = Math.max(1, Math.floor((bufferSize * maxSharePercent) / 100));
  return [...waiting].filter(([key, count]) => key && count >= limit).map(([key]) => key);
}
