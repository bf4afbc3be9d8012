// What a route handler of the Port simulator gets: the parsed request, the stores, the clock,
// and the answer functions (which add the rate-limit headers and log the answer).
import type { Refusal } from './run-rules.js';
import type { RunStore } from './run-store.js';
import type { PortSimOptions, SimIntegration } from './types.js';

export interface RouteContext {
  method: string;
  path: string;
  route: string;
  id: string | undefined;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when empty), or why it could not be read. */
  body: unknown;
  bodyError: Refusal | undefined;
  /** The caller's token claims (isMachine). */
  isMachine: boolean;
  runs: RunStore;
  integrations: Map<string, SimIntegration>;
  options: PortSimOptions;
  now(): number;
  nextLogId(): string;
  reply(status: number, body: unknown, headers?: Record<string, string>): void;
  refuse(r: Refusal): void;
}

export type RouteHandler = (ctx: RouteContext) => boolean;
