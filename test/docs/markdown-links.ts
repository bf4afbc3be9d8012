// The links of the project's Markdown, read the way GitHub renders them: relative links and the
// anchors GitHub gives headings. Pure; used by test/unit/docs-links.test.ts to prove that every
// page the README sends a reader to, and every heading it names, exists.

/** A relative link of a Markdown file: the path it points at and its #anchor, if any. */
export interface MarkdownLink {
  path: string;
  anchor: string | undefined;
  line: number;
}

/** The lines outside fenced code blocks (``` or ~~~), with their 1-based numbers. */
function proseLines(markdown: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (open && open[0] === fence[0] && open.length >= fence.length) fence = undefined;
    } else if (open) {
      fence = open;
    } else {
      out.push([line, i + 1]);
    }
  });
  return out;
}

/**
 * The anchor GitHub gives a heading: its text as rendered (links, code and emphasis marks
 * dropped), lower-cased, punctuation removed, spaces as hyphens; a repeated heading gets -1, -2…
 * (github-slugger, which github.com uses: letters, digits, `-` and `_` kept).
 */
export function slug(heading: string, seen: Map<string, number> = new Map()): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  const base = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  return n === 0 ? base : `${base}-${n}`;
}

/** The ATX headings (`#` to `######`) of a Markdown text, outside code blocks. */
export function headings(markdown: string): string[] {
  const out: string[] = [];
  for (const [line] of proseLines(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The anchors of every heading of a Markdown text. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  return new Set(headings(markdown).map((h) => slug(h, seen)));
}

/** The inline links `[text](target)` to files of the repository (not URLs), outside code. */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const out: MarkdownLink[] = [];
  for (const [line, n] of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue;
      const hash = target.indexOf('#');
      out.push({
        path: hash === -1 ? target : target.slice(0, hash),
        anchor: hash === -1 ? undefined : target.slice(hash + 1),
        line: n,
      });
    }
  }
  return out;
}
