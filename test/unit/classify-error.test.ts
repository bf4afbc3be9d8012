import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { CONTENT_HINTS, classifyGithubError } from '../../agent/github/classify-error.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const HOST = 'ghes.example.com';

/** The shape of an Octokit RequestError, without importing Octokit. */
function requestError(status: number, ghMessage: string, headers: Record<string, string> = {}, extraData: Record<string, unknown> = {}) {
  return { name: 'HttpError', status, message: ghMessage, response: { status, headers, data: { message: ghMessage, ...extraData } } };
}
const classify = (raw: unknown) => classifyGithubError(raw, 'dispatch acme/infra deploy.yml', HOST, NOW);

describe('classifyGithubError', () => {
  it('401 → auth, permanent, naming the credentials to check', () => {
    const e = classify(requestError(401, 'Bad credentials'));
    assert.equal(e.code, 'auth');
    assert.equal(e.retriable, false);
    assert.equal(e.status, 401);
    assert.match(e.message, /^dispatch acme\/infra deploy\.yml: /);
    assert.match(e.message, /401 Bad credentials/);
    assert.match(e.message, /github\.appId|github\.token/);
  });

  it('403 → forbidden, permanent, saying which permissions the App needs', () => {
    const e = classify(requestError(403, 'Resource not accessible by integration', { 'x-ratelimit-remaining': '4999' }));
    assert.equal(e.code, 'forbidden');
    assert.equal(e.retriable, false);
    assert.match(e.message, /Resource not accessible by integration/);
    assert.match(e.message, /Actions: read & write/);
  });

  it('403 secondary rate limit with retry-after → rate_limited, retriable after retry-after', () => {
    const e = classify(requestError(403, 'You have exceeded a secondary rate limit', { 'retry-after': '30' }));
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.retriable, true);
    assert.equal(e.retryAfterMs, 30_000);
    assert.match(e.message, /retrying in 30s/);
  });

  it('403 with x-ratelimit-remaining 0 → waits until the reset time', () => {
    const reset = NOW / 1000 + 120;
    const e = classify(requestError(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }));
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.retriable, true);
    assert.equal(e.retryAfterMs, 120_000);
  });

  it('a reset already in the past still waits at least a second', () => {
    const e = classify(
      requestError(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 - 5) }),
    );
    assert.equal(e.retryAfterMs, 1000);
  });

  it('429 without retry-after → 60 s; with retry-after → that', () => {
    const e = classify(requestError(429, 'Too many requests'));
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.retriable, true);
    assert.equal(e.retryAfterMs, 60_000);
    assert.equal(classify(requestError(429, 'Too many requests', { 'retry-after': '7' })).retryAfterMs, 7000);
  });

  it('404 → not_found, permanent, naming what to check', () => {
    const e = classify(requestError(404, 'Not Found'));
    assert.equal(e.code, 'not_found');
    assert.equal(e.retriable, false);
    assert.match(e.message, /org, repo and workflow file name/);
  });

  it("422 → inputs, permanent, with GitHub's own message and errors", () => {
    const e = classify(requestError(422, 'Unexpected inputs provided: ["colour"]', {}, { errors: [{ field: 'inputs' }] }));
    assert.equal(e.code, 'inputs');
    assert.equal(e.retriable, false);
    assert.equal(e.status, 422);
    assert.match(e.message, /Unexpected inputs provided: \["colour"\]/);
    assert.match(e.message, /"field":"inputs"/);
    assert.match(e.message, /workflowInputs/);
  });

  it('400 → inputs as well', () => {
    assert.equal(classify(requestError(400, 'return_run_details is not a permitted key')).code, 'inputs');
  });

  it('5xx → server, retriable', () => {
    for (const status of [500, 502, 503, 504]) {
      const e = classify(requestError(status, 'Server Error'));
      assert.equal(e.code, 'server', String(status));
      assert.equal(e.retriable, true);
      assert.equal(e.status, status);
    }
  });

  it('network error without response (cause ECONNREFUSED) → network, retriable, naming the host', () => {
    const raw = Object.assign(new Error('fetch failed'), {
      status: 500,
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const e = classify(raw);
    assert.equal(e.code, 'network');
    assert.equal(e.retriable, true);
    assert.match(e.message, /connection to ghes\.example\.com refused/);
  });

  it('Octokit-style: status 500, no response, fetch TypeError whose cause has the code', () => {
    const fetchErr = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    const e = classify({ status: 500, message: 'fetch failed', cause: fetchErr });
    assert.equal(e.code, 'network');
    assert.match(e.message, /refused/);
  });

  it('untrusted certificate → message mentions github.caFile', () => {
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      const raw = { status: 500, message: 'fetch failed', cause: Object.assign(new Error('cert'), { code }) };
      const e = classify(raw);
      assert.equal(e.code, 'network', code);
      assert.equal(e.retriable, true);
      assert.match(e.message, /github\.caFile/);
      assert.match(e.message, new RegExp(code));
    }
  });

  it('an AgentError passes through unchanged', () => {
    const original = new AgentError('timeout', 'gave up');
    assert.equal(classify(original), original);
  });

  it('keeps the raw error as cause', () => {
    const raw = requestError(404, 'Not Found');
    assert.equal(classify(raw).cause, raw);
  });

  it("a pull request, issue or comment write's refusals name what to fix for it, not a workflow's inputs", () => {
    const what = 'creating a pull request in acme/docs';
    const c = (raw: unknown) => classifyGithubError(raw, what, HOST, NOW, CONTENT_HINTS);
    const invalid = c(
      requestError(422, 'Validation Failed', {}, { errors: [{ message: 'A pull request already exists for acme:feature.' }] }),
    );
    assert.equal(invalid.code, 'inputs');
    assert.match(invalid.message, /A pull request already exists/);
    assert.doesNotMatch(invalid.message, /workflowInputs|workflow_dispatch/);
    assert.match(
      c(requestError(403, 'Resource not accessible by integration')).message,
      /Pull requests: read & write, Issues: read & write/,
    );
    const missing = c(requestError(404, 'Not Found')).message;
    assert.match(missing, /pull request, issue or comment number/);
    assert.doesNotMatch(missing, /workflow file name/);
  });
});
