/** How a stop goes: a failed start and `stop()` run the same list, and differ only in these. */
export interface Shutdown {
  /** Until when the intakes may keep their runs while their queued reports are delivered. */
  deadlineMs: number;
  /** Whether the reporter delivers what is left before it stops (`stop()`; not at a failed start). */
  drain: boolean;
}

export type StopStep = (shutdown: Shutdown) => Promise<unknown> | void;

/**
 * What the agent started, in the order it started: each part adds its own stop as soon as it
 * exists, and a stop runs the list backwards, so a start that fails half-way stops just what it
 * started, and a part is stopped before anything it uses (the intakes before the reporter they
 * queue to, the health server last).
 */
export class StopList {
  readonly #steps: StopStep[] = [];

  add(step: StopStep): void {
    this.#steps.push(step);
  }

  /**
   * Last added first, one after the other. A step that returns nothing is not awaited: steps
   * that only clear timers run back to back, as the plain calls they replace did. A step that
   * throws ends the stop with its error.
   */
  async run(shutdown: Shutdown): Promise<void> {
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const pending = this.#steps[i]!(shutdown);
      if (pending) await pending;
    }
  }
}
