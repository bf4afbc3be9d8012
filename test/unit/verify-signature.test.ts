import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifySignature } from '../../agent/port/verify-signature.js';

const SECRET = 'port-client-secret-0123456789';
const NOW_S = 1_713_277_889;
const NOW_MS = NOW_S * 1000;

/** Signs exactly as port-protocol.md describes Port doing it, independently of the agent's code. */
function sign(message: Record<string, unknown>, ts: number | string, secret = SECRET): Record<string, unknown> {
  const unsigned = { ...message, headers: { ...((message.headers as object) ?? {}) } };
  const mac = createHmac('sha256', secret)
    .update(`${ts}.${JSON.stringify(unsigned)}`)
    .digest('base64');
  return { ...message, headers: { ...(message.headers ?? {}), 'X-Port-Signature': `v1,${mac}`, 'X-Port-Timestamp': ts } };
}

function message(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'Create',
    status: 'TRIGGERED',
    context: { runId: 'r_abc123' },
    payload: {
      action: { invocationMethod: { type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml' } },
      properties: { name: 'api' },
    },
    headers: {},
    ...extra,
  };
}

/** What the decoder hands over: the parsed message and the signature taken from its headers. */
function verify(
  signed: Record<string, unknown>,
  opts: { mode?: 'required' | 'if-present' | 'off'; secret?: string; maxAgeSeconds?: number; nowMs?: number } = {},
) {
  const parsed = JSON.parse(JSON.stringify(signed)) as Record<string, unknown>;
  const h = parsed.headers as Record<string, unknown> | undefined;
  const signature =
    h && typeof h['X-Port-Signature'] === 'string' ? { value: h['X-Port-Signature'], timestamp: String(h['X-Port-Timestamp']) } : undefined;
  return verifySignature({
    message: parsed,
    signature,
    secret: opts.secret ?? SECRET,
    mode: opts.mode ?? 'required',
    maxAgeSeconds: opts.maxAgeSeconds ?? 0,
    nowMs: opts.nowMs ?? NOW_MS,
  });
}

describe('verifySignature', () => {
  it('accepts a message signed as Port signs it', () => {
    assert.deepEqual(verify(sign(message(), NOW_S)), { ok: true, checked: true, variant: 'signature_keys_deleted' });
  });

  it('accepts non-ASCII content (signed unescaped, as JSON.stringify writes it)', () => {
    const m = message({ payload: { properties: { title: 'Déploiement ✓ 日本語 💥', quote: 'a"b\\c' } } });
    assert.deepEqual(verify(sign(m, NOW_S)), { ok: true, checked: true, variant: 'signature_keys_deleted' });
  });

  it('keeps other headers in the signed text', () => {
    const m = message({ headers: { 'X-Other': 'kept' } });
    assert.deepEqual(verify(sign(m, NOW_S)), { ok: true, checked: true, variant: 'signature_keys_deleted' });
    const tampered = sign(m, NOW_S);
    (tampered.headers as Record<string, unknown>)['X-Other'] = 'changed';
    assert.equal(verify(tampered).ok, false);
  });

  it('accepts a string timestamp and several space-separated signatures when one matches', () => {
    assert.equal(verify(sign(message(), String(NOW_S))).ok, true);
    const signed = sign(message(), NOW_S);
    const h = signed.headers as Record<string, unknown>;
    h['X-Port-Signature'] = `v1,${Buffer.alloc(32).toString('base64')} ${String(h['X-Port-Signature'])}`;
    assert.deepEqual(verify(signed), { ok: true, checked: true, variant: 'signature_keys_deleted' });
  });

  it('refuses a tampered body', () => {
    const signed = sign(message(), NOW_S);
    (signed.context as Record<string, unknown>).runId = 'r_other1';
    const v = verify(signed);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /does not match/);
  });

  it('refuses a tampered timestamp', () => {
    const signed = sign(message(), NOW_S);
    (signed.headers as Record<string, unknown>)['X-Port-Timestamp'] = NOW_S + 1;
    assert.equal(verify(signed).ok, false);
  });

  it('refuses a wrong secret', () => {
    const v = verify(sign(message(), NOW_S, 'another-secret'));
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /wrong client secret or altered message/);
  });

  it('refuses a wrong version prefix, a missing prefix and garbage', () => {
    const signed = sign(message(), NOW_S);
    const mac = String((signed.headers as Record<string, unknown>)['X-Port-Signature']).slice(3);
    for (const value of [`v2,${mac}`, mac, `v1,`, 'v1', '']) {
      const copy = JSON.parse(JSON.stringify(signed));
      copy.headers['X-Port-Signature'] = value;
      assert.equal(verify(copy).ok, false, value);
    }
  });

  it('refuses a timestamp that is not a unix timestamp', () => {
    const signed = sign(message(), 'yesterday');
    const v = verify(signed);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /not a unix timestamp/);
  });

  describe('signature variants (port-agent webhook_invoker.py: WEBHOOK vs GITLAB forms)', () => {
    /** GITLAB form: the HMAC covers the message with its whole `headers` object deleted. */
    function signWithoutHeaders(m: Record<string, unknown>, ts: number, secret = SECRET): Record<string, unknown> {
      const { headers, ...rest } = m;
      const mac = createHmac('sha256', secret)
        .update(`${ts}.${JSON.stringify(rest)}`)
        .digest('base64');
      return { ...m, headers: { ...(headers ?? {}), 'X-Port-Signature': `v1,${mac}`, 'X-Port-Timestamp': ts } };
    }

    it('accepts a message signed with its headers object deleted, and says so', () => {
      assert.deepEqual(verify(signWithoutHeaders(message(), NOW_S)), { ok: true, checked: true, variant: 'headers_deleted' });
      // With other headers present too: they are outside the signed text in this form.
      assert.deepEqual(verify(signWithoutHeaders(message({ headers: { 'X-Other': 'x' } }), NOW_S)), {
        ok: true,
        checked: true,
        variant: 'headers_deleted',
      });
    });

    it('the headers-deleted form still refuses a tampered body or a wrong secret', () => {
      const signed = signWithoutHeaders(message(), NOW_S);
      (signed.payload as Record<string, unknown>).properties = { name: 'evil' };
      assert.equal(verify(signed).ok, false);
      assert.equal(verify(signWithoutHeaders(message(), NOW_S, 'other-secret')).ok, false);
    });

    it('an empty headers object is part of the WEBHOOK form but not of the GITLAB one', () => {
      // Same message, both forms: each verifies, and is told apart.
      const m = message({ headers: {} });
      assert.equal((verify(sign(m, NOW_S)) as { variant?: string }).variant, 'signature_keys_deleted');
      assert.equal((verify(signWithoutHeaders(m, NOW_S)) as { variant?: string }).variant, 'headers_deleted');
    });
  });

  describe('modes', () => {
    it('required: unsigned refused, signed checked', () => {
      const v = verify(message(), { mode: 'required' });
      assert.equal(v.ok, false);
      assert.match((v as { reason: string }).reason, /not signed.*required/);
      assert.deepEqual(verify(sign(message(), NOW_S), { mode: 'required' }), {
        ok: true,
        checked: true,
        variant: 'signature_keys_deleted',
      });
    });
    it('if-present: unsigned accepted unchecked, signed checked, bad signature refused', () => {
      assert.deepEqual(verify(message(), { mode: 'if-present' }), { ok: true, checked: false });
      assert.deepEqual(verify(sign(message(), NOW_S), { mode: 'if-present' }), {
        ok: true,
        checked: true,
        variant: 'signature_keys_deleted',
      });
      assert.equal(verify(sign(message(), NOW_S, 'wrong-secret'), { mode: 'if-present' }).ok, false);
    });
    it('off: nothing is checked, even a bad signature', () => {
      assert.deepEqual(verify(message(), { mode: 'off' }), { ok: true, checked: false });
      assert.deepEqual(verify(sign(message(), NOW_S, 'wrong-secret'), { mode: 'off' }), { ok: true, checked: false });
    });
  });

  describe('maxAgeSeconds window', () => {
    const signed = sign(message(), NOW_S);
    it('inside the window (either side) passes', () => {
      assert.equal(verify(signed, { maxAgeSeconds: 300, nowMs: NOW_MS + 299_000 }).ok, true);
      assert.equal(verify(signed, { maxAgeSeconds: 300, nowMs: NOW_MS - 299_000 }).ok, true);
      assert.equal(verify(signed, { maxAgeSeconds: 300, nowMs: NOW_MS + 300_000 }).ok, true);
    });
    it('too old is refused as a replay', () => {
      const v = verify(signed, { maxAgeSeconds: 300, nowMs: NOW_MS + 301_000 });
      assert.equal(v.ok, false);
      assert.match((v as { reason: string }).reason, /outside the accepted window of 300s/);
    });
    it('too far in the future is refused', () => {
      assert.equal(verify(signed, { maxAgeSeconds: 300, nowMs: NOW_MS - 301_000 }).ok, false);
    });
    it('0 disables the window', () => {
      assert.equal(verify(signed, { maxAgeSeconds: 0, nowMs: NOW_MS + 10 * 365 * 86_400_000 }).ok, true);
    });
    it('a millisecond timestamp is understood as milliseconds', () => {
      const ms = sign(message(), NOW_MS);
      assert.equal(verify(ms, { maxAgeSeconds: 60, nowMs: NOW_MS + 30_000 }).ok, true);
      assert.equal(verify(ms, { maxAgeSeconds: 60, nowMs: NOW_MS + 61_000 }).ok, false);
    });
  });
});
