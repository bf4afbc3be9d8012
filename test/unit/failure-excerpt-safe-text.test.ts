// Issue 23, item 5 (excerpts): what GHES hands back (a job log, job and step names, environment
// and reviewer names) reaches Port without terminal escapes or control characters, and cannot
// break out of the Markdown the agent puts it in: the excerpt's code fence holds whatever the log
// prints, and names cannot close their quotes, start a new line, or become links.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { WorkflowJob } from '../../agent/github/run-insight-api.js';
import { fenced, lineName, markdownName, stripControls } from '../../agent/github/safe-text.js';
import { createLogger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createJobReadPacer } from '../../agent/run/job-read-pacer.js';
import { type InsightDeps, approvalLine, createRunInsight, progressLines } from '../../agent/run/run-insight.js';
import { ResponseHeaders, type FetchFn } from '../../agent/util/http-fetch.js';

const quiet = createLogger({ level: 'error', secrets: { scrub: (t: string) => t, add: () => undefined } as never });

const HOSTILE_NAME = 'te`st"\n\x1b[1mbold\x1b[0m\u202eevil\t**x** [click](https://evil.example)';

const job = (over: Partial<WorkflowJob> = {}): WorkflowJob => ({
  id: 1,
  name: 'test',
  status: 'completed',
  conclusion: 'failure',
  started_at: '2026-01-01T10:00:00Z',
  completed_at: '2026-01-01T10:00:09Z',
  html_url: 'https://ghes/acme/infra/actions/runs/5/job/1',
  steps: [
    {
      name: 'Run tests',
      number: 1,
      status: 'completed',
      conclusion: 'failure',
      started_at: '2026-01-01T10:00:01Z',
      completed_at: '2026-01-01T10:00:04Z',
    },
  ],
  ...over,
});

// What a workflow author can print: colours, an OSC 8 hyperlink, a bell, a backspace, a carriage
// return, a line of three backticks (the old fence's end), a longer one, and Markdown/HTML.
const HOSTILE_LOG = [
  '2026-01-01T10:00:01.0000000Z ##[group]Run npm test',
  '2026-01-01T10:00:02.0000000Z \x1b[31;1mFAIL\x1b[0m src/deploy.test.ts',
  '2026-01-01T10:00:02.1000000Z ```',
  '2026-01-01T10:00:02.2000000Z </details><img src=x onerror=alert(1)> [click](https://evil.example) # heading',
  '2026-01-01T10:00:02.3000000Z \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 bell\x07 back\x08space\rcr\x9b2J',
  '2026-01-01T10:00:02.4000000Z ``````',
  '2026-01-01T10:00:03.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

function textFetch(body: string): FetchFn {
  return async (url) => {
    const stream = Readable.from([Buffer.from(body)]);
    Object.assign(stream, { dump: async () => undefined });
    return {
      ok: true,
      status: 200,
      statusText: '',
      url: String(url),
      headers: new ResponseHeaders({}),
      body: stream as never,
      text: async () => body,
      json: async () => JSON.parse(body),
      arrayBuffer: async () => new ArrayBuffer(0),
    };
  };
}

function insight(api: Partial<InsightDeps['api']>, log = '') {
  const clock = { now: Date.now, sleep: async () => undefined };
  return createRunInsight({
    api: {
      listJobs: async () => undefined,
      jobLogLocation: async () => 'https://storage.example/log',
      pendingDeployments: async () => [],
      ...api,
    },
    storageFetch: textFetch(log),
    scrub: (t) => t,
    clock,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: quiet,
    jobReads: createJobReadPacer({ perMinute: 0, clock }),
    settings: {
      jobProgress: true,
      approvals: true,
      failureExcerpt: true,
      excerpt: { lines: 20, maxBytes: 4000, logMaxBytes: 100_000, timeoutMs: 2000 },
    },
  });
}

/**
 * CommonMark 0.31 §4.5: a fenced block opened by n backticks ends at the first later line of at
 * least n backticks (up to three spaces of indentation, nothing after but spaces) or at the end.
 * Returns the lines the block holds and what follows it.
 */
function fencedBlock(markdown: string): { opener: string; inside: string[]; after: string[] } {
  const lines = markdown.split('\n');
  const open = lines.findIndex((l) => /^ {0,3}`{3,}[^`]*$/.test(l));
  assert.ok(open >= 0, 'the summary has a code fence');
  const n = /`+/.exec(lines[open]!)![0].length;
  const close = lines.findIndex((l, i) => i > open && new RegExp(`^ {0,3}\`{${n},}[ \\t]*$`).test(l));
  return {
    opener: lines[open]!,
    inside: lines.slice(open + 1, close < 0 ? undefined : close),
    after: close < 0 ? [] : lines.slice(close + 1),
  };
}

// eslint-disable-next-line no-control-regex -- the controls the text must no longer hold
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069]/;

describe('failure excerpt: a hostile log and hostile names (issue 23)', () => {
  it('a log with ANSI codes, a ``` line and Markdown: a clean summary whose fence holds to the end', async () => {
    const got = await insight({ listJobs: async () => ({ jobs: [job()] }) }, HOSTILE_LOG).onFailure(
      { portRunId: 'r_1', org: 'acme', repo: 'infra', ghRunId: 5, htmlUrl: '' },
      new AbortController().signal,
    );
    const summary = got.summary ?? '';
    assert.doesNotMatch(summary, CONTROLS, 'no escape sequence or control character (but \\n) reaches Port');
    const block = fencedBlock(summary);
    assert.equal(block.opener, '```````', 'one backtick more than the longest run in the log (six)');
    assert.deepEqual(block.after, [], 'nothing the log printed closes the fence: it ends where the summary ends');
    assert.deepEqual(block.inside, [
      'FAIL src/deploy.test.ts',
      '```',
      '</details><img src=x onerror=alert(1)> [click](https://evil.example) # heading',
      'link bell backspacecr',
      '``````',
      'Error: Process completed with exit code 1.',
    ]);
  });

  it('job and step names with control characters, backticks, quotes and Markdown: scrubbed in the summary and the failed-job line', async () => {
    const hostile = job({
      name: HOSTILE_NAME,
      html_url: 'https://ghes/acme/infra/actions/runs/5/job/1\n"` <x>',
      steps: [{ ...job().steps[0]!, name: `Run\r\n\`\`\`\n${HOSTILE_NAME}` }],
    });
    const got = await insight({ listJobs: async () => ({ jobs: [hostile] }) }, HOSTILE_LOG).onFailure(
      { portRunId: 'r_1', org: 'acme', repo: 'infra', ghRunId: 5, htmlUrl: '' },
      new AbortController().signal,
    );
    const head = (got.summary ?? '').split('\n')[0]!;
    assert.equal(
      head,
      "Failed: job \"te'st' boldevil \\*\\*x\\*\\* \\[click\\]\\(https://evil.example\\)\", step \"Run ''' te'st' boldevil \\*\\*x\\*\\* \\[click\\]\\(https://evil.example\\)\". Last lines of its log:",
    );
    assert.equal(fencedBlock(got.summary ?? '').after.length, 0);
    assert.deepEqual(got.lines, [
      "Failed job \"te'st' boldevil **x** [click](https://evil.example)\", step \"Run ''' te'st' boldevil **x** [click](https://evil.example)\" (failure): https://ghes/acme/infra/actions/runs/5/job/1x",
    ]);
    // eslint-disable-next-line no-control-regex -- ESC is what must be gone
    for (const line of got.lines) assert.doesNotMatch(line, /[\n`]|\x1b/);
  });

  it('job progress and approval lines: names scrubbed the same way', () => {
    const seen = new Map<number, string>();
    const started = progressLines(seen, [job({ name: HOSTILE_NAME, status: 'in_progress', conclusion: null, completed_at: null })]);
    assert.deepEqual(started, ['Job "te\'st\' boldevil **x** [click](https://evil.example)" started']);
    const ended = progressLines(seen, [job({ name: HOSTILE_NAME, conclusion: 'failure\n`x`' })]);
    assert.deepEqual(ended, ["Job \"te'st' boldevil **x** [click](https://evil.example)\" failure 'x' in 9s"]);
    const approval = approvalLine([{ environment: 'prod`\nuction\x1b[2J', reviewers: ['al"ice\u202e', '@acme/sre\n'] }], 'https://x/r/1');
    assert.equal(approval, "Waiting for approval: environment prod' uction (reviewers: al'ice, @acme/sre). Review: https://x/r/1");
  });
});

describe('safe-text', () => {
  it('strips CSI, OSC, string and two-byte escapes, 8-bit CSI, C0/C1 controls and invisible reordering characters; keeps \\n and \\t', () => {
    assert.equal(
      stripControls('a\x1b[0;31mb\x1b[0m\x1b]0;title\x1b\\c\x1bPdcs\x1b\\d\x1b(Be\x9b1mf\x00\x7f\x85g\u202eh\u2066i\ufeffj\n\tk'),
      'abcdefghij\n\tk',
    );
  });
  it('a fence longer than any backtick run, three at least', () => {
    assert.equal(fenced('plain'), '```\nplain\n```');
    assert.equal(fenced('a ```` b'), '`````\na ```` b\n`````');
  });
  it('names: one line, no quotes or backticks, at most 200 characters; Markdown punctuation escaped only for the summary', () => {
    assert.equal(lineName('x'.repeat(300)).length, 201);
    assert.equal(lineName(undefined), '');
    assert.equal(
      markdownName('a_b*c <d> ![e](f) #g ~h~ |i| &j; \\k'),
      'a\\_b\\*c \\<d\\> \\!\\[e\\]\\(f\\) \\#g \\~h\\~ \\|i\\| \\&j; \\\\k',
    );
  });
});
