import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';

const SECRET = 'port-secret-Zq9vX2mT7wL4';
const B64 = Buffer.from(SECRET).toString('base64');

/** A logger writing JSON lines into memory; lines() waits for winston's async write. */
function memoryLogger(secrets: ReturnType<typeof createSecretScrubber>, level = 'debug') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createLogger({ level, secrets, stream });
  const lines = async () => {
    await new Promise<void>((r) => setImmediate(r));
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ raw: l, json: JSON.parse(l) as Record<string, unknown> }));
  };
  return { logger, lines };
}

describe('createSecretScrubber', () => {
  it('replaces a secret and its base64 form', () => {
    const s = createSecretScrubber([SECRET]);
    assert.equal(s.scrub(`token=${SECRET}; basic ${B64}.`), 'token=[REDACTED]; basic [REDACTED].');
    assert.equal(s.empty(), false);
  });
  it('ignores empty and short values (they would redact ordinary words)', () => {
    const s = createSecretScrubber([undefined, '', 'abc']);
    assert.equal(s.empty(), true);
    assert.equal(s.scrub('abc def'), 'abc def');
  });
  it('a longer secret containing a shorter one is redacted whole', () => {
    const s = createSecretScrubber(['secret123', 'secret123-extended']);
    assert.equal(s.scrub('x secret123-extended y'), 'x [REDACTED] y');
  });
});

describe('createLogger', () => {
  it('writes JSON lines with level, message, timestamp and metadata', async () => {
    const { logger, lines } = memoryLogger(createSecretScrubber());
    logger.info('Dispatched', { component: 'processor', runId: 'r_1', partition: 3 });
    const [line] = await lines();
    assert.equal(line!.json.level, 'info');
    assert.equal(line!.json.message, 'Dispatched');
    assert.equal(line!.json.component, 'processor');
    assert.equal(line!.json.partition, 3);
    assert.ok(typeof line!.json.timestamp === 'string');
  });

  it('honours the level', async () => {
    const { logger, lines } = memoryLogger(createSecretScrubber(), 'warn');
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(
      (await lines()).map((l) => l.json.message),
      ['shown'],
    );
  });

  it('a disabled level returns before the line is built or written, on children too', async () => {
    const { logger, lines } = memoryLogger(createSecretScrubber(), 'warn');
    const child = logger.child({ runId: 'r_1' });
    const written: unknown[] = [];
    const write = logger.write.bind(logger);
    // A child writes through its root: nothing reaches it for a level that is off.
    logger.write = ((info: unknown) => (written.push(info), write(info))) as typeof logger.write;
    child.info('hidden', { big: 'x'.repeat(100) });
    child.debug('hidden too');
    assert.equal(written.length, 0);
    assert.equal(child.info('chained'), child);
    child.warn('shown');
    assert.equal(written.length, 1);
    const out = await lines();
    assert.deepEqual(
      out.map((l) => [l.json.message, l.json.runId]),
      [['shown', 'r_1']],
    );
  });

  it('redacts a secret and its base64 in the message and in metadata (flat and nested)', async () => {
    const { logger, lines } = memoryLogger(createSecretScrubber([SECRET]));
    logger.warn(`request failed with secret ${SECRET}`, {
      header: `Basic ${B64}`,
      nested: { url: `https://x/?s=${SECRET}`, list: [SECRET, 'ok'] },
    });
    const [line] = await lines();
    assert.equal(line!.raw.includes(SECRET), false);
    assert.equal(line!.raw.includes(B64), false);
    assert.equal(line!.json.message, 'request failed with secret [REDACTED]');
    assert.equal(line!.json.header, 'Basic [REDACTED]');
    assert.deepEqual(line!.json.nested, { url: 'https://x/?s=[REDACTED]', list: ['[REDACTED]', 'ok'] });
  });

  it('redacts secrets inside Error objects passed as metadata', async () => {
    const { logger, lines } = memoryLogger(createSecretScrubber([SECRET]));
    logger.error('failed', { error: new Error(`auth with ${SECRET} refused`) });
    const [line] = await lines();
    assert.equal(line!.raw.includes(SECRET), false);
    assert.deepEqual(line!.json.error, { name: 'Error', message: 'auth with [REDACTED] refused' });
  });

  it('secrets added later (e.g. the Kafka password from Port) are scrubbed too', async () => {
    const secrets = createSecretScrubber();
    const { logger, lines } = memoryLogger(secrets);
    const later = 'kafka-pass-Hy3kR8nB1sD6';
    logger.info(`before ${later}`);
    secrets.add(later);
    logger.info(`after ${later}`, { sasl: { password: later } });
    const [before, after] = await lines();
    assert.equal(before!.json.message, `before ${later}`, 'not yet known: printed (documents the ordering)');
    assert.equal(after!.json.message, 'after [REDACTED]');
    assert.deepEqual(after!.json.sasl, { password: '[REDACTED]' });
    assert.equal(after!.raw.includes(later), false);
  });

  it('redacts a secret with JSON-escaped characters (quote, backslash, newline) nested in metadata', async () => {
    // Passwords may hold " or \, and a PEM key holds newlines; nested metadata is scrubbed as JSON
    // text, where those characters appear escaped.
    const tricky = 'p@ss"word\\with-quote';
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretbody\n-----END RSA PRIVATE KEY-----';
    const { logger, lines } = memoryLogger(createSecretScrubber([tricky, pem]));
    logger.info('client config', { sasl: { password: tricky }, app: { privateKey: pem } });
    const [line] = await lines();
    assert.deepEqual(line!.json.sasl, { password: '[REDACTED]' });
    assert.deepEqual(line!.json.app, { privateKey: '[REDACTED]' });
    assert.equal(line!.raw.includes('secretbody'), false);
  });
});
