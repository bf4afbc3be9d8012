import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { toAgentError } from '../errors.js';
import { agentVersion } from '../version.js';
import { checkCommand } from './check/check-command.js';
import { type Command, usage } from './command-line.js';

/** The commands other than running the agent: help, version and check. Returns the exit code. */
export async function runCommand(command: Exclude<Command, { kind: 'run' }>, env: Record<string, string | undefined>): Promise<number> {
  if (command.kind === 'help') {
    process.stdout.write(usage(command.topic));
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`ghes-agent ${agentVersion()} (node ${process.version})\n`);
    return 0;
  }
  let loaded;
  try {
    loaded = loadConfig({ argv: command.argv, env, readFile: (p) => readFileSync(p, 'utf8') });
  } catch (err) {
    process.stderr.write(`ghes-agent check: ${toAgentError(err, 'config').message}\n`);
    return 2;
  }
  return checkCommand(loaded.config, { configFile: loaded.configFile });
}
