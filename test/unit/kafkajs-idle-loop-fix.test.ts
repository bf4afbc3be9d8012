// kafkajs 2.2.4's request queue arms a 1 ms timer after every answer even when nothing is
// pending (tulios/kafkajs#1704, #1751): the fix arms none then, and still checks pending or
// throttled requests. Tested on kafkajs's own RequestQueue class.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import { fixKafkajsIdleLoop } from '../../agent/kafka/kafkajs-idle-loop-fix.js';

const require = createRequire(import.meta.url);
type Queue = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
};
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (opts: Record<string, unknown>) => Queue;
const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
  createLogger: (o: Record<string, unknown>) => unknown;
  LEVELS: Record<string, number>;
};

function queue(): Queue {
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined });
  return new RequestQueue({
    maxInFlightRequests: 10,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'b:9092',
    logger,
    isConnected: () => true,
  });
}

describe('kafkajs idle-loop fix', () => {
  const made: Queue[] = [];
  afterEach(() => {
    for (const q of made.splice(0)) if (q.throttleCheckTimeoutId) clearTimeout(q.throttleCheckTimeoutId);
  });
  const track = (q: Queue) => (made.push(q), q);

  it(
    "kafkajs's own scheduler arms a timer with nothing pending (the loop the fix removes)",
    {
      skip:
        (RequestQueue.prototype as unknown as Record<symbol, unknown>)[Symbol.for('ghes-agent.kafkajs-idle-loop-fix')] === true
          ? 'fix already applied in this process'
          : false,
    },
    () => {
      const q = track(queue());
      q.scheduleCheckPendingRequests();
      assert.notEqual(q.throttleCheckTimeoutId, null, 'unfixed kafkajs 2.2.4 arms a timer although nothing is pending');
    },
  );

  it('after the fix: nothing pending, no throttle: no timer; pending or throttled: a check is scheduled', async () => {
    assert.deepEqual(fixKafkajsIdleLoop(), { applied: true, reason: 'applied' });
    assert.equal(fixKafkajsIdleLoop().reason, 'already applied');

    const idle = track(queue());
    idle.scheduleCheckPendingRequests();
    assert.equal(idle.throttleCheckTimeoutId, null);

    const throttled = track(queue());
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    assert.notEqual(throttled.throttleCheckTimeoutId, null, 'a throttle still ends in a check');

    // A request pending after its throttle ended (the marginal case of kafkajs#1532) is
    // checked soon: the scheduled check runs checkPendingRequests.
    const pending = track(queue());
    let checked = 0;
    pending.checkPendingRequests = () => void checked++;
    pending.pending.push({});
    pending.throttledUntil = Date.now() - 1;
    pending.scheduleCheckPendingRequests();
    assert.notEqual(pending.throttleCheckTimeoutId, null);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(checked, 1);
  });
});
