import { readFileSync } from 'node:fs';

/** The agent's version from package.json (one level above dist/ or agent/). */
export function agentVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return '0.0.0';
}
