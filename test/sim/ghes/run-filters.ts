// Pure filtering and pagination for the run lists, following GitHub's documented query
// parameters (actor, branch, event, status, created, head_sha, per_page, page).
export interface RunFacts {
  id: number;
  actor: string;
  branch: string;
  event: string;
  status: string;
  conclusion: string | null;
  createdAtMs: number;
  headSha: string;
}

export type Filter = (r: RunFacts) => boolean;

const STATUSES = new Set(['requested', 'queued', 'pending', 'waiting', 'in_progress', 'completed']);

function parseBound(s: string, end: boolean): number | null {
  if (s === '*') return end ? Infinity : -Infinity;
  const t = Date.parse(s);
  if (Number.isNaN(t)) return null;
  // A bare date as an upper bound covers the whole day, as in GitHub's search syntax.
  if (end && /^\d{4}-\d{2}-\d{2}$/.test(s)) return t + 86_400_000 - 1;
  return t;
}

/** GitHub search date syntax: '>=X', '>X', '<=X', '<X', 'A..B', or a date/time. */
export function parseCreated(q: string): ((ms: number) => boolean) | null {
  const m = /^(>=|<=|>|<)(.+)$/.exec(q);
  if (m) {
    const op = m[1]!;
    const t = parseBound(m[2]!, op.startsWith('<'));
    if (t === null) return null;
    if (op === '>=') return (x) => x >= t;
    if (op === '>') return (x) => x > t;
    if (op === '<=') return (x) => x <= t;
    return (x) => x < t;
  }
  const range = /^(.+)\.\.(.+)$/.exec(q);
  if (range) {
    const a = parseBound(range[1]!, false);
    const b = parseBound(range[2]!, true);
    if (a === null || b === null) return null;
    return (x) => x >= a && x <= b;
  }
  const a = parseBound(q, false);
  const b = parseBound(q, true);
  if (a === null || b === null) return null;
  return (x) => x >= a && x <= b;
}

export function buildFilter(q: URLSearchParams): Filter | { error: string } {
  const checks: Filter[] = [];
  const actor = q.get('actor');
  if (actor) checks.push((r) => r.actor.toLowerCase() === actor.toLowerCase());
  const branch = q.get('branch');
  if (branch) checks.push((r) => r.branch === branch);
  const event = q.get('event');
  if (event) checks.push((r) => r.event === event);
  const sha = q.get('head_sha');
  if (sha) checks.push((r) => r.headSha === sha);
  const status = q.get('status');
  if (status) checks.push(STATUSES.has(status) ? (r) => r.status === status : (r) => r.conclusion === status);
  const created = q.get('created');
  if (created) {
    const f = parseCreated(created);
    if (!f) return { error: `Invalid created value: ${created}` };
    checks.push((r) => f(r.createdAtMs));
  }
  return (r) => checks.every((c) => c(r));
}

export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  lastPage: number;
}

export function paginate<T>(all: T[], q: URLSearchParams): Page<T> {
  const perPage = Math.min(100, Math.max(1, parseInt(q.get('per_page') ?? '30', 10) || 30));
  const page = Math.max(1, parseInt(q.get('page') ?? '1', 10) || 1);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  return { items: all.slice((page - 1) * perPage, page * perPage), page, perPage, lastPage };
}

/** RFC 8288 Link header with next/last/first/prev as GitHub sends them. */
export function linkHeader(baseUrl: string, q: URLSearchParams, p: Page<unknown>): string | null {
  const link = (page: number, rel: string): string => {
    const qq = new URLSearchParams(q);
    qq.set('per_page', String(p.perPage));
    qq.set('page', String(page));
    return `<${baseUrl}?${qq.toString()}>; rel="${rel}"`;
  };
  const parts: string[] = [];
  if (p.page > 1) parts.push(link(p.page - 1, 'prev'));
  if (p.page < p.lastPage) parts.push(link(p.page + 1, 'next'), link(p.lastPage, 'last'));
  if (p.page > 1) parts.push(link(1, 'first'));
  return parts.length ? parts.join(', ') : null;
}
