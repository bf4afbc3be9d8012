// Issue 24 item 5: which refusals of a write to an unacknowledged run make it fall back to
// Ocean's order (acknowledge first, then write).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsAckFirst } from '../../agent/run/ack-first.js';

describe('the ack-first fallback', () => {
  it('a 4xx other than 404, 409 and 429; never a 5xx, a network failure or a 2xx', () => {
    for (const status of [400, 403, 412, 422]) assert.equal(needsAckFirst({ status }), true, String(status));
    for (const status of [404, 409, 429, 500, 503, 200, undefined]) assert.equal(needsAckFirst({ status }), false, String(status));
  });
});
