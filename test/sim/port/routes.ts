// Route templates name requests in the log and let faults target a route
// whatever the run id.
export interface ResolvedRoute {
  route: string;
  id?: string;
}

// Literal routes before the templates they would also match (claim-pending is not a run id).
const PATTERNS: Array<{ re: RegExp; route: string }> = [
  { re: /^\/v1\/auth\/access_token\/?$/, route: '/v1/auth/access_token' },
  { re: /^\/v1\/kafka-credentials\/?$/, route: '/v1/kafka-credentials' },
  { re: /^\/v1\/actions\/runs\/claim-pending\/?$/, route: '/v1/actions/runs/claim-pending' },
  { re: /^\/v1\/actions\/runs\/ack\/?$/, route: '/v1/actions/runs/ack' },
  { re: /^\/v1\/actions\/runs\/?$/, route: '/v1/actions/runs' },
  { re: /^\/v1\/actions\/runs\/([^/]+)\/logs\/?$/, route: '/v1/actions/runs/:id/logs' },
  { re: /^\/v1\/actions\/runs\/([^/]+)\/?$/, route: '/v1/actions/runs/:id' },
  { re: /^\/v1\/workflows\/runs\/claim-pending\/?$/, route: '/v1/workflows/runs/claim-pending' },
  { re: /^\/v1\/workflows\/runs\/ack\/?$/, route: '/v1/workflows/runs/ack' },
  { re: /^\/v1\/workflows\/nodes\/runs\/?$/, route: '/v1/workflows/nodes/runs' },
  { re: /^\/v1\/workflows\/nodes\/runs\/([^/]+)\/logs\/?$/, route: '/v1/workflows/nodes/runs/:id/logs' },
  { re: /^\/v1\/workflows\/nodes\/runs\/([^/]+)\/?$/, route: '/v1/workflows/nodes/runs/:id' },
  { re: /^\/v1\/entities\/search\/?$/, route: '/v1/entities/search' },
  { re: /^\/v1\/blueprints\/[^/]+\/entities\/?$/, route: '/v1/blueprints/:blueprint/entities' },
  { re: /^\/v1\/blueprints\/[^/]+\/entities\/[^/]+\/?$/, route: '/v1/blueprints/:blueprint/entities/:id' },
  { re: /^\/v1\/integration\/?$/, route: '/v1/integration' },
  { re: /^\/v1\/integration\/([^/]+)\/?$/, route: '/v1/integration/:id' },
];

export function resolveRoute(pathname: string): ResolvedRoute {
  for (const { re, route } of PATTERNS) {
    const m = re.exec(pathname);
    if (m) return m[1] === undefined ? { route } : { route, id: decodeURIComponent(m[1]) };
  }
  return { route: '*' };
}
