import type { Logger } from '../../../agent/observability/logger.js';

/** A logger that drops every line: the tests that use it assert on what the code does, not on what it logs. */
export function silentLogger(): Logger {
  const logger = {
    child: () => logger,
    warn: () => undefined,
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  return logger;
}
