// Pure: the subset of GitHub's issue search syntax ("Searching issues and pull requests", GitHub
// docs) the agent needs to find what a first attempt made: repo:o/r, is:issue | is:pr,
// type:issue | type:pr, is:open | is:closed, state:open | state:closed, author:login,
// in:title | in:body | in:comments, and words or "quoted phrases" (case-insensitive).
import type { IssueRecord } from '../tracker-state.js';

export interface IssueSearch {
  repos: string[];
  kind: 'issue' | 'pr' | null;
  state: 'open' | 'closed' | null;
  author: string | null;
  /** Where the terms are looked for; GitHub's default is title and body. */
  fields: Array<'title' | 'body' | 'comments'>;
  terms: string[];
}

export function parseIssueSearch(q: string): IssueSearch | { error: string } {
  const s: IssueSearch = { repos: [], kind: null, state: null, author: null, fields: [], terms: [] };
  const tokens = q.match(/"[^"]*"|\S+/g) ?? [];
  for (const tok of tokens) {
    if (tok.startsWith('"')) {
      const phrase = tok.slice(1, -1).trim();
      if (phrase) s.terms.push(phrase.toLowerCase());
      continue;
    }
    const m = /^(\w+):(.+)$/.exec(tok);
    if (!m) {
      s.terms.push(tok.toLowerCase());
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    const v = value.toLowerCase();
    if (key === 'repo') s.repos.push(v);
    else if ((key === 'is' || key === 'type') && (v === 'issue' || v === 'pr')) s.kind = v;
    else if ((key === 'is' || key === 'state') && (v === 'open' || v === 'closed')) s.state = v;
    else if (key === 'author') s.author = v;
    else if (key === 'in' && (v === 'title' || v === 'body' || v === 'comments')) s.fields.push(v);
    else return { error: `the simulator does not support the qualifier ${key}:${value}` };
  }
  if (s.fields.length === 0) s.fields = ['title', 'body'];
  return s;
}

export function matchesSearch(s: IssueSearch, i: IssueRecord, comments: readonly string[] = []): boolean {
  if (s.repos.length && !s.repos.includes(`${i.repo.owner.login}/${i.repo.name}`.toLowerCase())) return false;
  if (s.kind === 'pr' && !i.pull) return false;
  if (s.kind === 'issue' && i.pull) return false;
  if (s.state && i.state !== s.state) return false;
  // An App's bot is searched as author:app/<slug> (GitHub docs, "Search by author").
  const author = i.user.type === 'Bot' ? `app/${i.user.login.toLowerCase().replace(/\[bot\]$/, '')}` : i.user.login.toLowerCase();
  if (s.author && author !== s.author) return false;
  const text = [
    ...(s.fields.includes('title') ? [i.title] : []),
    ...(s.fields.includes('body') ? [i.body ?? ''] : []),
    ...(s.fields.includes('comments') ? comments : []),
  ]
    .join('\n')
    .toLowerCase();
  return s.terms.every((term) => text.includes(term));
}
