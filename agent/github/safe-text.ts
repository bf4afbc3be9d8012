/**
 * Text from GHES made safe for Port: a job log, job and step names, environment names. Whoever
 * writes a workflow (anyone with write access to a repository the App can see) chooses its job
 * and step names and what its steps print; a GHES answer is not trusted either (issue 23). Port
 * shows a run's summary as Markdown and its log lines as text: none of that text may carry
 * terminal escapes, invisible characters, or Markdown that breaks out of where the agent put it.
 */

/**
 * ANSI/ECMA-48 escape sequences: CSI (ESC [ … final byte, or the 8-bit CSI 0x9b), OSC (ESC ] … BEL
 * or ST, hyperlinks and window titles among them), the string sequences DCS/SOS/PM/APC (ESC P, X,
 * ^, _ … ST), and the two-byte escapes (ESC followed by one byte, with intermediates). A job
 * log holds what each step printed, colour codes and all (GitHub's log viewer renders them).
 */
const ANSI =
  // eslint-disable-next-line no-control-regex -- matching control characters is this regex's job
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]/g;

/**
 * What is left once the sequences are gone: C0 controls but tab and line feed, DEL, C1 controls,
 * and the invisible Unicode characters that reorder or split text (bidirectional overrides and
 * isolates, "Trojan Source", CVE-2021-42574; line and paragraph separators; zero-width marks).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this regex's job
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** The text without escape sequences and control characters; `\n` and `\t` stay. */
export function stripControls(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}

/**
 * A fenced code block that `text` cannot close: CommonMark ends a backtick fence only at a line
 * of at least as many backticks as opened it (CommonMark 0.31 §4.5), so the fence is one longer
 * than the longest run of backticks in the text, and never shorter than three.
 */
export function fenced(text: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}

const MAX_NAME = 200;

/**
 * A name (job, step, environment, reviewer, conclusion) for a log line, where it stands between
 * double quotes: one line, no controls, no backticks or double quotes (which would end the quote
 * early and let the name pose as the agent's own words), at most 200 characters. GitHub bounds job
 * names itself, but the answer comes from GHES and is not trusted.
 */
export function lineName(name: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a name that is not a string (a malformed answer) is shown as String() renders it, then stripped and bounded
  const text = stripControls(typeof name === 'string' ? name : String(name ?? ''))
    .replace(/\s+/g, ' ')
    .replace(/[`"]/g, "'")
    .trim();
  return text.length > MAX_NAME ? `${text.slice(0, MAX_NAME)}…` : text;
}

/** A link for a log line (a job's html_url): no controls, spaces, quotes, backticks or angle brackets. */
export function lineLink(url: unknown): string {
  return stripControls(typeof url === 'string' ? url : '').replace(/[\s`"<>]/g, '');
}

/**
 * A name inside Markdown (the run's summary): `lineName`, with the ASCII punctuation that opens
 * Markdown inline constructs (emphasis, links and images, raw HTML, autolinks, strikethrough,
 * tables, headings, entities) backslash-escaped, as CommonMark allows for any ASCII punctuation
 * (§2.4), so a job named `[click](https://evil)` shows as written instead of as a link.
 */
export function markdownName(name: unknown): string {
  return lineName(name).replace(/[\\*_[\]()<>!~|#&]/g, '\\$&');
}
