// The replay window is measured against the time Port wrote the message to the topic (the Kafka
// record timestamp), so a backlog after an outage, or a redelivery, still verifies while a copy
// of an old message published again does not. A message too deep to serialize is refused, not thrown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifySignature } from '../../agent/port/verify-signature.js';
import { signRunMessage } from '../sim/publisher.js';

const SECRET = 'port-client-secret-window-0123';
const T0_S = 1_800_000_000;
const msg = () => ({ context: { runId: 'r_window1' }, payload: { action: { invocationMethod: { type: 'GITHUB' } } } });

function check(signed: Record<string, unknown>, opts: { nowMs: number; writtenAtMs?: number; maxAgeSeconds?: number }) {
  const parsed = JSON.parse(JSON.stringify(signed)) as Record<string, unknown>;
  const h = parsed.headers as Record<string, unknown>;
  return verifySignature({
    message: parsed,
    signature: { value: String(h['X-Port-Signature']), timestamp: String(h['X-Port-Timestamp']) },
    secret: SECRET,
    mode: 'required',
    maxAgeSeconds: opts.maxAgeSeconds ?? 300,
    nowMs: opts.nowMs,
    writtenAtMs: opts.writtenAtMs,
  });
}

describe('signature replay window', () => {
  const signed = signRunMessage(msg(), SECRET, T0_S);

  it('a message written when signed is accepted days later (backlog, redelivery)', () => {
    assert.deepEqual(check(signed, { writtenAtMs: T0_S * 1000 + 800, nowMs: (T0_S + 3 * 86400) * 1000 }), {
      ok: true,
      checked: true,
      variant: 'signature_keys_deleted',
    });
  });

  it('the same signed message written to the topic again an hour later is refused as a replay', () => {
    const v = check(signed, { writtenAtMs: (T0_S + 3600) * 1000, nowMs: (T0_S + 3600) * 1000 });
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /outside the accepted window of 300s \(signature\.maxAgeSeconds\): signed 3600s before/);
  });

  it('a timestamp in the future of the record is refused too', () => {
    assert.equal(check(signed, { writtenAtMs: (T0_S - 600) * 1000, nowMs: T0_S * 1000 }).ok, false);
  });

  it('without a record timestamp the window falls back to the clock', () => {
    assert.equal(check(signed, { writtenAtMs: -1, nowMs: (T0_S + 100) * 1000 }).ok, true);
    assert.equal(check(signed, { writtenAtMs: undefined, nowMs: (T0_S + 1000) * 1000 }).ok, false);
  });

  it('0 turns the window off', () => {
    assert.equal(check(signed, { writtenAtMs: (T0_S + 86400) * 1000, nowMs: 0, maxAgeSeconds: 0 }).ok, true);
  });

  it('a message too deep to serialize is refused with a reason, never thrown', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const m = { ...msg(), headers: { 'X-Port-Signature': 'v1,AAAA', 'X-Port-Timestamp': T0_S }, extra: deep };
    const v = verifySignature({
      message: m,
      signature: { value: 'v1,AAAA', timestamp: String(T0_S) },
      secret: SECRET,
      mode: 'required',
      maxAgeSeconds: 0,
      nowMs: 0,
    });
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /nested too deeply/);
  });
});
