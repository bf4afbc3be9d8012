import type { PortFaultSpec } from './types.js';

interface ActiveFault {
  id: number;
  spec: PortFaultSpec;
  addedAt: number;
  used: number;
}

export interface FaultTable {
  add(spec: PortFaultSpec): { id: number; remove: () => void };
  remove(id: number): boolean;
  clear(): void;
  list(): Array<{ id: number; spec: PortFaultSpec; used: number }>;
  /**
   * The faults to apply to one request: the summed latency of matching latency
   * faults, and the first matching fault that decides the answer (status,
   * outage or reset), if any. Matching faults are consumed (count).
   */
  pick(req: { method: string; path: string; route: string }): { latencyMs: number; decisive?: PortFaultSpec };
}

export function faultMatches(spec: PortFaultSpec, req: { method: string; path: string; route: string }): boolean {
  if (spec.method && spec.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (spec.route === undefined) return true;
  if (spec.route instanceof RegExp) return spec.route.test(req.path);
  return spec.route === req.route || spec.route === req.path;
}

export function faultExpired(f: { spec: PortFaultSpec; addedAt: number; used: number }, now: number): boolean {
  if (f.spec.count !== undefined && f.used >= f.spec.count) return true;
  if (f.spec.durationMs !== undefined && now - f.addedAt >= f.spec.durationMs) return true;
  return false;
}

export function validateFaultSpec(spec: PortFaultSpec): void {
  const kinds = ['status', 'latency', 'outage', 'reset'];
  if (!kinds.includes(spec.kind)) throw new Error(`fault kind must be one of ${kinds.join(', ')}`);
  if (spec.kind === 'latency' && !(typeof spec.latencyMs === 'number' && spec.latencyMs >= 0)) {
    throw new Error('latency fault needs latencyMs >= 0');
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new Error('probability must be within 0..1');
  }
}

export function createFaultTable(opts: { now: () => number; random: () => number }): FaultTable {
  let nextId = 1;
  let faults: ActiveFault[] = [];
  const remove = (id: number): boolean => {
    const before = faults.length;
    faults = faults.filter((f) => f.id !== id);
    return faults.length !== before;
  };
  return {
    add(spec) {
      validateFaultSpec(spec);
      const id = nextId++;
      faults.push({ id, spec, addedAt: opts.now(), used: 0 });
      return { id, remove: () => void remove(id) };
    },
    remove,
    clear() {
      faults = [];
    },
    list() {
      return faults.map((f) => ({ id: f.id, spec: f.spec, used: f.used }));
    },
    pick(req) {
      const now = opts.now();
      faults = faults.filter((f) => !faultExpired(f, now));
      let latencyMs = 0;
      let decisive: PortFaultSpec | undefined;
      for (const f of faults) {
        if (!faultMatches(f.spec, req)) continue;
        if (f.spec.kind !== 'latency' && decisive) continue;
        // Probability is drawn per request so a flaky fault is flaky per call.
        if (f.spec.probability !== undefined && opts.random() >= f.spec.probability) continue;
        f.used += 1;
        if (f.spec.kind === 'latency') latencyMs += f.spec.latencyMs ?? 0;
        else decisive = f.spec;
      }
      return { latencyMs, decisive };
    },
  };
}
