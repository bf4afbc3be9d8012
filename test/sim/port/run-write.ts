// One write to a run (an action run or a workflow-node run, a PATCH or a log line), the same
// steps on every route: the body checked, a terminal write counted and refused once the run
// has ended, the change applied, and the outcome kept in the run's history for the tests.
import type { RouteContext } from './route-context.js';
import type { Checked, Refusal } from './run-rules.js';
import type { SimPortRun } from './types.js';

export function runWrite<T>(
  ctx: RouteContext,
  run: SimPortRun,
  step: {
    check(body: unknown): Checked<T>;
    /** Whether the write sets a terminal status (counted in statusWrites, accepted or not). */
    terminal(value: T): boolean;
    /** The refusal of a terminal write to a run that already ended. */
    twice(value: T): Refusal | undefined;
    apply(value: T, at: string): void;
    answer(): { status: number; body: unknown };
  },
): true {
  const at = new Date(ctx.now()).toISOString();
  const record = (status: number): void => void run.history.push({ at, method: ctx.method, path: ctx.path, body: ctx.body, status });
  const refuse = (r: Refusal): true => {
    record(r.status);
    ctx.refuse(r);
    return true;
  };
  if (ctx.bodyError) return refuse(ctx.bodyError);
  if (ctx.options.writesNeedAck && run.installationId !== undefined && run.pendingExecution === true) {
    return refuse({
      ok: false,
      status: 422,
      error: 'run_not_acknowledged',
      message: `run ${run.id} must be acknowledged before it is written to`,
    });
  }
  const checked = step.check(ctx.body);
  if (!checked.ok) return refuse(checked);
  if (step.terminal(checked.value)) run.statusWrites += 1;
  const twice = step.twice(checked.value);
  if (twice) return refuse(twice);
  step.apply(checked.value, at);
  const { status, body } = step.answer();
  record(status);
  ctx.reply(status, body);
  return true;
}
