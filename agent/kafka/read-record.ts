import type { SignatureMode, SignatureVariant } from '../port/verify-signature.js';
import { verifySignature } from '../port/verify-signature.js';
import { type MessageKeys, claimedRunId, decodeParsedMessage, messageKeys, parseMessage, signatureOf } from '../port/decode-message.js';
import type { RunRequest } from '../types/run-request.js';

/** What the Kafka intake trusts a message with: the bound, the signature settings and the key. */
export interface RecordTrust {
  maxBytes: number;
  mode: SignatureMode;
  maxAgeSeconds: number;
  /** The Port client secret: the key of X-Port-Signature. */
  secret: string;
}

/**
 * What one Kafka record may do (issue 23). Whoever can write to the topic can write any bytes
 * and name any run id (it is in the run-name and the port_run_id input of every run), so only
 * a message whose signature holds may end a run; everything else is counted and logged, and
 * writes nothing:
 * - `skip`: not ours (a tombstone, another invocation type, an event we do not act on);
 * - `untrusted`: not parseable, signature missing/refused/replayed, or unsigned and invalid:
 *   nothing is written to Port and nothing the agent tracks changes. `runId` is the id the
 *   message claims, for the log line only;
 * - `refuse`: signed and checked, but a field is invalid: Port signed it, so its run is
 *   reported FAILURE with the reason;
 * - `run`: a run to handle; `checked` says whether its signature was verified (false: mode
 *   `off`, or `if-present` and unsigned); `unsigned` marks one `if-present` let in unsigned.
 */
export type RecordVerdict =
  | { kind: 'skip'; reason: string; runId?: string; keys?: MessageKeys }
  | {
      kind: 'untrusted';
      outcome: 'invalid' | 'unsigned' | 'replayed' | 'signature_rejected';
      reason: string;
      runId?: string;
      keys?: MessageKeys;
      limit?: 'message_bytes';
    }
  | { kind: 'refuse'; runId: string; reason: string; keys: MessageKeys }
  | { kind: 'run'; run: RunRequest; checked: boolean; unsigned: boolean; variant?: SignatureVariant };

/**
 * Reads one record in the order that keeps an unverified message from being acted on: parse
 * the JSON within the size bound, take X-Port-Signature/X-Port-Timestamp from it, verify them
 * (mode, replay window against the record's timestamp), and only then decode the fields. Pure.
 */
export function readRecord(value: Buffer | null, writtenAtMs: number, nowMs: number, trust: RecordTrust): RecordVerdict {
  const parsed = parseMessage(value, trust.maxBytes);
  if (parsed.kind === 'skip') return parsed;
  if (parsed.kind === 'invalid') return { kind: 'untrusted', outcome: 'invalid', reason: parsed.reason, limit: parsed.limit };
  const { msg } = parsed;
  const signature = signatureOf(msg);
  const verdict = verifySignature({
    message: msg,
    signature,
    secret: trust.secret,
    mode: trust.mode,
    maxAgeSeconds: trust.maxAgeSeconds,
    nowMs,
    writtenAtMs,
  });
  if (!verdict.ok)
    return {
      kind: 'untrusted',
      outcome: verdict.outcome,
      reason: `message refused: ${verdict.reason}`,
      runId: claimedRunId(msg),
      keys: messageKeys(msg),
    };

  const decoded = decodeParsedMessage(msg);
  if (decoded.kind === 'skip') return decoded;
  if (decoded.kind === 'invalid') {
    const reason = `invalid run message: ${decoded.reason}`;
    // Only Port's signature makes the run id the message names worth a FAILURE report: under
    // `if-present` or `off`, an unsigned message could name any run, a live one included.
    if (verdict.checked && decoded.runId) return { kind: 'refuse', runId: decoded.runId, reason, keys: decoded.keys ?? messageKeys(msg) };
    return {
      kind: 'untrusted',
      outcome: 'invalid',
      reason: decoded.runId ? `${reason} (not signed, so not reported to the run it names)` : reason,
      runId: decoded.runId,
      keys: decoded.keys,
    };
  }
  const { message: _message, signature: _signature, ...run } = decoded.run;
  return verdict.checked
    ? { kind: 'run', run, checked: true, unsigned: false, variant: verdict.variant }
    : { kind: 'run', run, checked: false, unsigned: trust.mode === 'if-present' && !signature };
}

/**
 * The Port run a record may be reported FAILURE for by the poison guard: only one named by a
 * message whose signature was checked and holds. An unverified message's run id is anyone's
 * choice (issue 23). Never throws.
 */
export function trustedRunIdOf(value: Buffer | null, writtenAtMs: number, nowMs: number, trust: RecordTrust): string | undefined {
  try {
    const v = readRecord(value, writtenAtMs, nowMs, trust);
    if (v.kind === 'refuse') return v.runId;
    return v.kind === 'run' && v.checked ? v.run.runId : undefined;
  } catch {
    return undefined;
  }
}
