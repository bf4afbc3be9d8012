import winston from 'winston';

export type Logger = winston.Logger;

/**
 * JSON lines on stdout with stable fields. Every registered secret (and its base64 form) is
 * replaced wherever it appears — message, metadata, error stacks — so a library that prints a
 * URL or a header cannot leak one.
 */
export function createLogger(opts: { level: string; secrets: SecretScrubber; stream?: NodeJS.WritableStream }): Logger {
  const { scrub } = opts.secrets;
  const redact = winston.format((info) => {
    if (opts.secrets.empty()) return info;
    for (const key of Object.keys(info)) {
      const v = (info as Record<string, unknown>)[key];
      if (typeof v === 'string') (info as Record<string, unknown>)[key] = scrub(v);
      else if (v && typeof v === 'object') (info as Record<string, unknown>)[key] = JSON.parse(scrub(JSON.stringify(v)));
    }
    return info;
  });
  const errors = winston.format((info) => {
    for (const [k, v] of Object.entries(info)) {
      if (v instanceof Error)
        (info as Record<string, unknown>)[k] = { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
    }
    return info;
  });
  const logger = winston.createLogger({
    level: opts.level,
    format: winston.format.combine(errors(), winston.format.timestamp(), redact(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stdout })],
  });
  return skippingDisabledLevels(logger);
}

/**
 * winston filters levels only after a line went through its object stream (a metadata copy per
 * child logger, a stream write, a transform): a per-run `info` at level `warn` cost about 1.5%
 * of the agent's CPU at hundreds of dispatches a second. Each level method returns at once
 * when its level is off. Defined on the logger itself, so its children (Object.create of it,
 * with their own `write`) inherit them.
 */
function skippingDisabledLevels(logger: Logger): Logger {
  const methods = logger as unknown as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    if (typeof write !== 'function') continue;
    methods[level] = function (this: Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? write.apply(this, args) : this;
    };
  }
  return logger;
}

/** The secrets to keep out of every log line; grows when secrets are learnt at run time (Kafka password from Port). */
export interface SecretScrubber {
  add(secret: string | undefined): void;
  scrub: (text: string) => string;
  empty(): boolean;
}

export function createSecretScrubber(initial: Array<string | undefined> = []): SecretScrubber {
  let forms: string[] = [];
  const add = (secret: string | undefined) => {
    // Short values would redact ordinary words; real secrets are long.
    if (!secret || secret.length < 6) return;
    forms = [...new Set([...forms, secret, JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')])].sort(
      (a, b) => b.length - a.length,
    );
  };
  initial.forEach(add);
  return {
    add,
    scrub: (text) => forms.reduce((t, s) => (t.includes(s) ? t.split(s).join('[REDACTED]') : t), text),
    empty: () => forms.length === 0,
  };
}
