import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Producer, ProducerRecord } from 'kafkajs';
import { buildRunMessage, createAndPublishRun, publishMessages, signRunMessage } from '../publisher.js';
import { startPortSim } from './server.js';
import type { GithubInvocation } from './types.js';

const invocation: GithubInvocation = {
  type: 'GITHUB',
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  workflowInputs: { service: 'café-api', region: '日本', port_context: { runId: 'r_abcdefghijklmnop' } },
  reportWorkflowStatus: true,
};

// The check port-agent makes (webhook_invoker.validate_incoming_signature),
// written independently: parse the wire JSON, delete the two header keys,
// re-serialize compactly with non-ASCII left as is, HMAC-SHA256, base64.
function verifyLikePortAgent(wire: string, secret: string): boolean {
  const msg = JSON.parse(wire) as { headers: Record<string, unknown> };
  const sig = msg.headers['X-Port-Signature'];
  const ts = msg.headers['X-Port-Timestamp'];
  delete msg.headers['X-Port-Signature'];
  delete msg.headers['X-Port-Timestamp'];
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(Buffer.from(`${String(ts)}.${JSON.stringify(msg)}`, 'utf8'));
  return sig === `v1,${mac.digest('base64')}`;
}

function fakeProducer(): { producer: Producer; sent: ProducerRecord[] } {
  const sent: ProducerRecord[] = [];
  const producer = {
    send: async (record: ProducerRecord) => {
      sent.push(record);
      return [];
    },
  } as unknown as Producer;
  return { producer, sent };
}

describe('publisher: envelope', () => {
  it('builds the documented run message', () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    const msg = buildRunMessage({
      orgId: 'org_1',
      run: { id: 'r_abcdefghijklmnop', invocation },
      userId: 'user_1',
      at,
      properties: { env: 'prod' },
    });
    assert.equal(msg.action, 'Create');
    assert.equal(msg.resourceType, 'run');
    assert.equal(msg.status, 'TRIGGERED');
    assert.deepEqual(msg.trigger, { by: { orgId: 'org_1', userId: 'user_1' }, origin: 'UI', at: '2026-03-01T10:00:00.000Z' });
    assert.deepEqual(msg.context, { entity: null, blueprint: null, runId: 'r_abcdefghijklmnop' });
    const payload = msg.payload as { entity: unknown; properties: unknown; action: Record<string, unknown> };
    assert.equal(payload.entity, null);
    assert.deepEqual(payload.properties, { env: 'prod' });
    assert.match(payload.action.id as string, /^action_\w{16}$/);
    assert.equal(payload.action.identifier, 'run_workflow');
    assert.deepEqual(payload.action.invocationMethod, invocation);
    assert.equal('headers' in msg, false);
  });

  it('takes identifier and blueprint from a simulator run', async () => {
    const sim = await startPortSim({ orgId: 'org_x', clientId: 'c', clientSecret: 's' });
    try {
      const run = sim.createRun({ invocation, actionIdentifier: 'deploy', blueprint: 'service' });
      const msg = buildRunMessage({ orgId: sim.orgId, run });
      assert.deepEqual(msg.context, { entity: null, blueprint: 'service', runId: run.id });
      const action = (msg.payload as { action: Record<string, unknown> }).action;
      assert.equal(action.identifier, 'deploy');
      assert.equal(action.blueprint, 'service');
    } finally {
      await sim.close();
    }
  });
});

describe('publisher: signature', () => {
  const secret = 'sécret-日本';
  const msg = buildRunMessage({ orgId: 'org_1', run: { id: 'r_abcdefghijklmnop', invocation }, at: new Date(0) });

  it('signs as Port does, over non-ASCII content, verifiable by an independent recomputation', () => {
    const signed = signRunMessage(msg, secret, 1713277889);
    const headers = signed.headers as Record<string, unknown>;
    assert.equal(headers['X-Port-Timestamp'], 1713277889);
    assert.match(headers['X-Port-Signature'] as string, /^v1,[A-Za-z0-9+/]{43}=$/);
    const wire = JSON.stringify(signed);
    assert.ok(wire.includes('café-api') && wire.includes('日本'), 'non-ASCII travels unescaped');
    assert.ok(verifyLikePortAgent(wire, secret));
    // The same computation by hand: the signed JSON keeps an empty headers object.
    const content = `1713277889.${JSON.stringify({ ...msg, headers: {} })}`;
    const expected = `v1,${createHmac('sha256', secret).update(content).digest('base64')}`;
    assert.equal(headers['X-Port-Signature'], expected);
  });

  it('fails verification with another secret, a changed body or a changed timestamp', () => {
    const signed = signRunMessage(msg, secret, 1713277889);
    assert.equal(verifyLikePortAgent(JSON.stringify(signed), 'other'), false);
    const changed = JSON.stringify(signed).replace('café-api', 'cafe-api');
    assert.equal(verifyLikePortAgent(changed, secret), false);
    const h = signed.headers as Record<string, unknown>;
    assert.equal(verifyLikePortAgent(JSON.stringify({ ...signed, headers: { ...h, 'X-Port-Timestamp': 1713277890 } }), secret), false);
  });

  it('keeps other headers in the signed content and re-signs an already signed message', () => {
    const withHeader = { ...msg, headers: { 'X-Extra': 'ü' } };
    const once = signRunMessage(withHeader, secret, 100);
    assert.ok(verifyLikePortAgent(JSON.stringify(once), secret));
    const twice = signRunMessage(once, secret, 200);
    assert.equal((twice.headers as Record<string, unknown>)['X-Extra'], 'ü');
    assert.ok(verifyLikePortAgent(JSON.stringify(twice), secret));
  });
});

describe('publisher: Kafka side (fake producer)', () => {
  it('serializes object values and passes strings and buffers through', async () => {
    const { producer, sent } = fakeProducer();
    await publishMessages(producer, 'org_1.github.runs', [{ key: 'k', value: { a: 'é' } }, { value: 'raw' }, { value: Buffer.from('b') }]);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.topic, 'org_1.github.runs');
    assert.deepEqual(
      sent[0]?.messages.map((m) => m.value),
      ['{"a":"é"}', 'raw', Buffer.from('b')],
    );
    assert.equal(sent[0]?.messages[0]?.key, 'k');
  });

  it('creates the run in the simulator and publishes its signed message keyed by run id', async () => {
    const sim = await startPortSim({ orgId: 'org_pub', clientId: 'c', clientSecret: 'shh-ñ' });
    try {
      const { producer, sent } = fakeProducer();
      const run = await createAndPublishRun(sim, producer, 'org_pub.github.runs', invocation);
      assert.equal(sim.getRun(run.id)?.status, 'IN_PROGRESS');
      const m = sent[0]?.messages[0];
      assert.equal(m?.key, run.id);
      const wire = String(m?.value);
      assert.equal((JSON.parse(wire) as { context: { runId: string } }).context.runId, run.id);
      assert.ok(verifyLikePortAgent(wire, 'shh-ñ'));

      await createAndPublishRun(sim, producer, 'org_pub.github.runs', invocation, { tamper: true });
      assert.equal(verifyLikePortAgent(String(sent[1]?.messages[0]?.value), 'shh-ñ'), false);

      await createAndPublishRun(sim, producer, 'org_pub.github.runs', invocation, { sign: false });
      assert.equal('headers' in (JSON.parse(String(sent[2]?.messages[0]?.value)) as object), false);
      assert.equal(sim.runs().length, 3);
    } finally {
      await sim.close();
    }
  });
});
