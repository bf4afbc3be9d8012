/**
 * The first word of the command line: run the agent (the default), `check` a configuration
 * before the first real run, or print the usage or the version. Everything after the command
 * is the configuration's own arguments (--config FILE, --print-config), parsed by
 * config/load.ts. A pure function, so tests need no process.
 */
export type Command =
  { kind: 'run'; argv: string[] } | { kind: 'check'; argv: string[] } | { kind: 'help'; topic?: 'check' } | { kind: 'version' };

export function parseCommand(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (first === 'check') return rest.some(isHelp) ? { kind: 'help', topic: 'check' } : { kind: 'check', argv: rest };
  if (first === 'help') return rest[0] === 'check' ? { kind: 'help', topic: 'check' } : { kind: 'help' };
  if (argv.some(isHelp)) return { kind: 'help' };
  if (argv.some((a) => a === '--version' || a === '-V' || a === 'version')) return { kind: 'version' };
  return { kind: 'run', argv: first === 'run' ? rest : argv };
}

const isHelp = (a: string) => a === '--help' || a === '-h';

export function usage(topic?: 'check'): string {
  if (topic === 'check') {
    return `Usage: ghes-agent check [--config FILE]

Checks, from where the agent will run, everything it depends on, and prints one line per
check with what to fix: GHES reachable and its TLS certificate trusted, its version and what
follows from it, the GitHub App installed where policy.allow points with Actions: read & write
and Metadata: read (or the token's scopes), Port's credentials, the Kafka credentials Port
issues, the brokers' TLS and SASL, the topic readable and the consumer group allowed by the
ACLs (without joining the group or committing anything), and the clock against GHES.

The configuration is read as the agent reads it (--config FILE or GHES_AGENT_CONFIG, env
overrides, secrets from files). Exit code: 0 when every check passed, 1 when one failed,
2 when the configuration itself is invalid.
`;
  }
  return `Usage: ghes-agent [run] [--config FILE] [--print-config]
       ghes-agent check [--config FILE]
       ghes-agent --help | --version

Runs Port self-service actions as GitHub Actions workflows on GitHub Enterprise Server.

Commands:
  run             Run the agent (the default): consume Port's runs, dispatch and follow the
                  workflows, report to Port. Stops cleanly on SIGTERM.
  check           Check the configuration and every dependency from where the agent will run,
                  one line per check with what to fix (ghes-agent check --help).

Options:
  -c, --config FILE   The YAML configuration (default: $GHES_AGENT_CONFIG). Every key can be
                      overridden by an env variable named from its path, e.g.
                      port.clientSecret -> GHES_AGENT_PORT_CLIENT_SECRET.
  --print-config      Print the effective configuration, secrets masked, and exit.
  -h, --help          This help.
  -V, --version       The agent's version.

Exit codes: 0 normal stop, 1 fatal error at run time (or a failed check), 2 invalid configuration.
Documentation: README.md, and docs/ (configuration.md: every setting; troubleshooting.md; monitoring.md: metrics).
`;
}
