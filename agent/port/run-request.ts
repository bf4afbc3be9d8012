import type { RunRequest } from '../run/run-request.js';

export type { RunRequest };

/** A run as decoded from a Kafka message, with what its signature check needs; only the RunRequest outlives that check. */
export interface DecodedRun extends RunRequest {
  signature: { value: string; timestamp: string } | undefined;
  /** The parsed message, for signature verification. */
  message: Record<string, unknown>;
}
