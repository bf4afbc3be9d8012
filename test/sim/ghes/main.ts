// Runs the GHES simulator as its own process (for `make stack-up` style use):
//   node --import tsx test/sim/ghes/main.ts [--port N] [--version 3.19.0] [--time-scale 60] [--appear-delay-ms 300]
// Prints one JSON line {url, origin, appId, slug} on stdout once listening, then serves
// until SIGINT/SIGTERM. Configure repos, tokens and faults through /_sim/* (see README.md).
import { parseArgs } from 'node:util';
import { startGhesSim } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    version: { type: 'string' },
    'time-scale': { type: 'string' },
    'appear-delay-ms': { type: 'string' },
  },
});
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

const sim = await startGhesSim({
  port: num(values.port),
  version: values.version,
  timeScale: num(values['time-scale']),
  runAppearDelayMs: num(values['appear-delay-ms']),
});
process.stdout.write(`${JSON.stringify({ url: sim.url, origin: sim.origin, appId: sim.app.appId, slug: sim.app.slug })}\n`);
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
