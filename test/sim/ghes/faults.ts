import type { FaultSpec } from './types.js';

interface ActiveFault {
  id: number;
  spec: FaultSpec;
  fired: number;
  untilMs: number | null;
}

export interface FaultRegistry {
  add(f: FaultSpec): { id: number; remove: () => void };
  remove: (id: number) => boolean;
  clear(): void;
  list: () => Array<FaultSpec & { id: number; fired: number }>;
  /** Picks the first active fault matching the request and counts it as fired. */
  take(method: string, route: string | null, path: string): FaultSpec | null;
}

/** Pure: does a fault's route/method selector match this request? */
export function faultMatches(spec: FaultSpec, method: string, route: string | null, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  const sel = spec.route;
  if (sel === undefined) return true;
  const bare = route ? route.slice(route.indexOf(' ') + 1) : null;
  if (sel instanceof RegExp) return (route !== null && sel.test(route)) || sel.test(path);
  return sel === route || sel === bare || sel === path;
}

export function createFaultRegistry(deps: { now(): number; random(): number }): FaultRegistry {
  let seq = 0;
  let faults: ActiveFault[] = [];
  const remove = (id: number): boolean => {
    const before = faults.length;
    faults = faults.filter((f) => f.id !== id);
    return faults.length !== before;
  };
  return {
    add(spec) {
      const id = ++seq;
      faults.push({ id, spec, fired: 0, untilMs: spec.durationMs === undefined ? null : deps.now() + spec.durationMs });
      return { id, remove: () => void remove(id) };
    },
    remove,
    clear() {
      faults = [];
    },
    list() {
      return faults.map((f) => ({ ...f.spec, id: f.id, fired: f.fired }));
    },
    take(method, route, path) {
      const now = deps.now();
      // Expired and used-up faults drop out so list() shows what can still fire.
      faults = faults.filter((f) => (f.untilMs === null || now < f.untilMs) && (f.spec.count === undefined || f.fired < f.spec.count));
      for (const f of faults) {
        if (!faultMatches(f.spec, method, route, path)) continue;
        if (deps.random() >= (f.spec.probability ?? 1)) continue;
        f.fired += 1;
        return f.spec;
      }
      return null;
    },
  };
}
