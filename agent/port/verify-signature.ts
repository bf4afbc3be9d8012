import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureMode = 'required' | 'if-present' | 'off';

/**
 * Which text Port's signature matched. Nothing public says what Port signs for GITHUB messages;
 * port-agent (`app/invokers/webhook_invoker.py::validate_incoming_signature`) checks WEBHOOK
 * messages over the JSON with the two X-Port-* keys deleted from `headers`, and GITLAB messages
 * over the JSON with the whole `headers` object deleted. Either is accepted, and which one
 * matched is counted and logged so the first real deployment tells which one Port uses.
 */
export type SignatureVariant = 'signature_keys_deleted' | 'headers_deleted';

/**
 * Why a message was refused, a label of ghes_agent_messages_total: no signature where one is
 * required, a signature outside the replay window, or one that is malformed or does not match.
 */
export type SignatureRefusal = 'unsigned' | 'replayed' | 'signature_rejected';

export type SignatureVerdict =
  | { ok: true; checked: false }
  | { ok: true; checked: true; variant: SignatureVariant }
  | { ok: false; reason: string; outcome: SignatureRefusal };

/**
 * Port signs `${timestamp}.${compact JSON of the message without its signature}` with
 * HMAC-SHA256 keyed by the client secret, as "v1,<base64>" (port-protocol.md). JSON.parse keeps
 * key order and JSON.stringify leaves non-ASCII unescaped, which is what port-agent's
 * `json.dumps(msg, separators=(",", ":"), ensure_ascii=False)` writes too.
 */
export function verifySignature(args: {
  message: Record<string, unknown>;
  signature: { value: string; timestamp: string } | undefined;
  secret: string;
  mode: SignatureMode;
  maxAgeSeconds: number;
  nowMs: number;
  /**
   * When the message was written to the topic (the Kafka record timestamp). The replay window
   * is measured against it, not against the time of processing: a message that waited in the
   * topic through an outage of the agent, or is redelivered after a crash, keeps its record
   * timestamp and is still accepted, while a copy published again later gets a new one.
   * Absent or not positive: the window is measured against `nowMs`.
   */
  writtenAtMs?: number;
}): SignatureVerdict {
  const { mode, signature } = args;
  if (mode === 'off') return { ok: true, checked: false };
  if (!signature) {
    return mode === 'required'
      ? { ok: false, reason: 'message is not signed (no X-Port-Signature) and signature.mode is "required"', outcome: 'unsigned' }
      : { ok: true, checked: false };
  }
  if (!/^\d{1,13}$/.test(signature.timestamp))
    return { ok: false, reason: 'X-Port-Timestamp is not a unix timestamp', outcome: 'signature_rejected' };
  if (args.maxAgeSeconds > 0) {
    const tsMs = Number(signature.timestamp) * (signature.timestamp.length > 11 ? 1 : 1000);
    const referenceMs = args.writtenAtMs !== undefined && args.writtenAtMs > 0 ? args.writtenAtMs : args.nowMs;
    if (Math.abs(referenceMs - tsMs) > args.maxAgeSeconds * 1000) {
      return {
        ok: false,
        reason:
          `X-Port-Timestamp is outside the accepted window of ${args.maxAgeSeconds}s (signature.maxAgeSeconds): signed ${Math.round((referenceMs - tsMs) / 1000)}s ` +
          'before the message was written to the topic (replayed, or clocks skewed)',
        outcome: 'replayed',
      };
    }
  }
  const given = signature.value.split(' ').map((part) => {
    const [version, b64] = part.split(',', 2);
    return version === 'v1' && b64 ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  });
  for (const variant of VARIANTS) {
    let text: string;
    try {
      text = JSON.stringify(unsignedForm(args.message, variant));
    } catch {
      return {
        ok: false,
        reason: 'message cannot be serialized for the signature check (nested too deeply)',
        outcome: 'signature_rejected',
      };
    }
    const expected = createHmac('sha256', args.secret).update(`${signature.timestamp}.${text}`).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: true, checked: true, variant };
  }
  return { ok: false, reason: 'X-Port-Signature does not match (wrong client secret or altered message)', outcome: 'signature_rejected' };
}

/** The WEBHOOK form first: it is what port-protocol.md describes. */
const VARIANTS: readonly SignatureVariant[] = ['signature_keys_deleted', 'headers_deleted'];

/** The message as Port signed it, in one of the two forms port-agent knows. Key order is kept. */
function unsignedForm(message: Record<string, unknown>, variant: SignatureVariant): Record<string, unknown> {
  const { headers, ...rest } = message;
  if (variant === 'headers_deleted') return rest;
  const { ['X-Port-Signature']: _s, ['X-Port-Timestamp']: _t, ...restHeaders } = headers as Record<string, unknown>;
  return { ...message, headers: restHeaders };
}
