import type { Principal } from './auth.js';

export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  principal: Principal;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Lists get weak ETags. */
  list?: boolean;
}

export type Handler = (req: ApiRequest) => ApiResponse;

/** Who may call a route: App JWT routes refuse tokens and vice versa. */
export type RouteAuth = 'public' | 'jwt' | 'token';

export interface Route {
  method: string;
  template: string;
  auth: RouteAuth;
  handler: Handler;
}

export interface Router {
  add(method: string, template: string, auth: RouteAuth, handler: Handler): void;
  match(method: string, path: string): { route: Route; params: Record<string, string> } | null;
  /** Another method is routed for this path (for 404 vs. 405 style answers). */
  pathKnown(path: string): boolean;
}

function compile(template: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const src = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { re: new RegExp(`^${src}/?$`), names };
}

export function createRouter(): Router {
  const routes: Array<Route & { re: RegExp; names: string[] }> = [];
  return {
    add(method, template, auth, handler) {
      routes.push({ method: method.toUpperCase(), template, auth, handler, ...compile(template) });
    },
    match(method, path) {
      const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
      for (const r of routes) {
        if (r.method !== m) continue;
        const hit = r.re.exec(path);
        if (!hit) continue;
        const params: Record<string, string> = {};
        r.names.forEach((n, i) => (params[n] = decodeURIComponent(hit[i + 1]!)));
        return { route: r, params };
      }
      return null;
    },
    pathKnown: (path) => routes.some((r) => r.re.test(path)),
  };
}
