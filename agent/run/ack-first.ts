/**
 * The agent writes its intent ("Dispatching workflow") to a claimed run before acknowledging it,
 * so that a replica dying between the claim and the dispatch leaves a run Port offers again,
 * which the next claimant resumes from that record. Ocean does the reverse: it acknowledges
 * first, then writes (port-ocean 0.56.2 core/handlers/actions/execution_manager.py
 * `_execute_run`: acknowledge_run, then executor.execute, which writes the link and
 * externalRunId). Nobody has shown that Port accepts writes to an unacknowledged run (issue 24).
 *
 * If Port refuses such a write for good with a 4xx other than 404 (no such run), 409 (a
 * conflict: another worker, or a status set twice) or 429 (a rate limit, retried anyway), the run
 * falls back to Ocean's order: acknowledged, then written again. The cost of that order is
 * Ocean's: an acknowledged run that this replica drops before its dispatch is recorded is not
 * offered again. Pure.
 */
export function needsAckFirst(err: { status?: number }): boolean {
  const s = err.status;
  return s !== undefined && s >= 400 && s < 500 && s !== 404 && s !== 409 && s !== 429;
}
