/**
 * A GitHub run the agent may follow, report on and cancel (issue 23): one it dispatched itself in
 * this process, or one recorded elsewhere (Port's record, a run-name match) that
 * verify-recorded-run.ts checked against the invocation. Port users with write access to a run
 * can write its `link` and `externalRunId`, and anyone with write access to a repository can
 * start a run whose run-name shows a Port run id: neither may point the agent at a run it would
 * then read (jobs, logs, reviewers), post to Port, or cancel. So the tracking, the insight and
 * the cancellation take this type, which only the two functions below make: the brand is a
 * module-private symbol, and a plain object with the same fields does not type-check.
 */
declare const verified: unique symbol;

export interface VerifiedRun {
  readonly portRunId: string;
  readonly org: string;
  readonly repo: string;
  readonly ghRunId: number;
  readonly htmlUrl: string;
  /** How it was vouched for: dispatched by this process, or checked against the invocation. */
  readonly trust: 'dispatched-here' | 'verified';
  readonly [verified]: true;
}

type Fields = Omit<VerifiedRun, typeof verified | 'trust'>;

/**
 * The run this process's own dispatch POST created (its id from GHES's answer or the
 * correlation of dispatch-workflow.ts, within the invocation's repository and workflow).
 * Called by the processor's dispatch stage only.
 */
export function dispatchedHere(run: Fields): VerifiedRun {
  return { ...run, trust: 'dispatched-here' } as VerifiedRun;
}

/** A recorded run that matched the invocation. Called by verify-recorded-run.ts only. */
export function verifiedRecorded(run: Fields): VerifiedRun {
  return { ...run, trust: 'verified' } as VerifiedRun;
}
