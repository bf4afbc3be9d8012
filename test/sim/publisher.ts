// Writes Port-shaped run messages to Kafka, signed as Port signs them, so the
// agent is exercised on the envelope of port-protocol.md and nothing friendlier.
import { createHmac, randomBytes } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { GithubInvocation, PortSim, SimPortRun } from './port/types.js';

export const SIGNATURE_HEADER = 'X-Port-Signature';
export const TIMESTAMP_HEADER = 'X-Port-Timestamp';

export interface BuildRunMessageArgs {
  orgId: string;
  run: SimPortRun | { id: string; invocation: GithubInvocation };
  userId?: string;
  at?: Date;
  properties?: Record<string, unknown>;
}

function actionId(): string {
  return `action_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16)}`;
}

/** The documented envelope: action Create, resourceType run, status TRIGGERED, … */
export function buildRunMessage(args: BuildRunMessageArgs): Record<string, unknown> {
  const { run } = args;
  const identifier = 'actionIdentifier' in run ? run.actionIdentifier : 'run_workflow';
  const blueprint = 'blueprint' in run ? (run.blueprint ?? null) : null;
  return {
    action: 'Create',
    resourceType: 'run',
    status: 'TRIGGERED',
    trigger: {
      by: { orgId: args.orgId, userId: args.userId ?? 'user_sim' },
      origin: 'UI',
      at: (args.at ?? new Date()).toISOString(),
    },
    context: { entity: null, blueprint, runId: run.id },
    payload: {
      entity: null,
      action: { id: actionId(), identifier, blueprint, invocationMethod: { ...run.invocation } },
      properties: args.properties ?? {},
    },
  };
}

/**
 * Which text the HMAC covers: port-agent (`app/invokers/webhook_invoker.py`) checks WEBHOOK
 * messages with the two X-Port-* keys deleted from `headers` (`signature_keys_deleted`, what
 * port-protocol.md describes) and GITLAB messages with the whole `headers` deleted
 * (`headers_deleted`). Which one Port uses for GITHUB messages is not published.
 */
export type SignatureVariant = 'signature_keys_deleted' | 'headers_deleted';

/** The string Port's HMAC covers: `${ts}.${compact JSON}` without the signature (see SignatureVariant). */
export function signedContent(
  msg: Record<string, unknown>,
  timestampS: number | string,
  variant: SignatureVariant = 'signature_keys_deleted',
): string {
  const base = withoutSignatureHeaders(msg);
  if (variant === 'headers_deleted') {
    const { headers: _h, ...rest } = base;
    return `${timestampS}.${JSON.stringify(rest)}`;
  }
  return `${timestampS}.${JSON.stringify(base)}`;
}

// port-agent deletes only the two keys from `headers` before re-serializing, so
// an otherwise empty `headers: {}` stays in the signed JSON, in place.
function withoutSignatureHeaders(msg: Record<string, unknown>): Record<string, unknown> {
  const headers = { ...((msg.headers as Record<string, unknown> | undefined) ?? {}) };
  delete headers[SIGNATURE_HEADER];
  delete headers[TIMESTAMP_HEADER];
  return { ...msg, headers };
}

export function signRunMessage(
  msg: Record<string, unknown>,
  secret: string,
  timestampS?: number,
  variant?: SignatureVariant,
): Record<string, unknown> {
  const ts = timestampS ?? Math.floor(Date.now() / 1000);
  const base = withoutSignatureHeaders(msg);
  const mac = createHmac('sha256', secret)
    .update(signedContent(base, ts, variant), 'utf8')
    .digest('base64');
  return { ...base, headers: { ...(base.headers as Record<string, unknown>), [SIGNATURE_HEADER]: `v1,${mac}`, [TIMESTAMP_HEADER]: ts } };
}

export async function publishMessages(
  producer: Producer,
  topic: string,
  messages: Array<{ key?: string; value: string | Buffer | Record<string, unknown> }>,
): Promise<void> {
  await producer.send({
    topic,
    messages: messages.map((m) => ({
      key: m.key,
      value: typeof m.value === 'string' || Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
    })),
  });
}

/** Flips the MAC's first character: a well-formed signature that does not verify. */
export function tamperSignature(msg: Record<string, unknown>): Record<string, unknown> {
  const headers = { ...(msg.headers as Record<string, unknown>) };
  const sig = String(headers[SIGNATURE_HEADER] ?? 'v1,');
  const mac = sig.slice(3);
  headers[SIGNATURE_HEADER] = `v1,${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
  return { ...msg, headers };
}

/** Creates the run in the Port simulator and publishes its message, keyed by run id. */
export async function createAndPublishRun(
  port: PortSim,
  producer: Producer,
  topic: string,
  invocation: GithubInvocation,
  opts: { sign?: boolean; tamper?: boolean; kind?: 'action' | 'workflow-node'; signatureVariant?: SignatureVariant } = {},
): Promise<SimPortRun> {
  const run = port.createRun({ invocation, kind: opts.kind });
  let msg = buildRunMessage({ orgId: port.orgId, run });
  if (opts.sign !== false || opts.tamper) msg = signRunMessage(msg, port.clientSecret, undefined, opts.signatureVariant);
  if (opts.tamper) msg = tamperSignature(msg);
  await publishMessages(producer, topic, [{ key: run.id, value: msg }]);
  return run;
}
