import type { SimContext } from '../context.js';
import type { Router } from '../router.js';

export function addMetaRoutes(r: Router, ctx: SimContext): void {
  r.add('GET', '/meta', 'public', () => ({
    status: 200,
    body: { verifiable_password_authentication: false, installed_version: ctx.state.version, packages: [], domains: {} },
  }));
  r.add('GET', '/', 'public', () => ({
    status: 200,
    body: {
      current_user_url: `${ctx.shape.api}/user`,
      repository_url: `${ctx.shape.api}/repos/{owner}/{repo}`,
      organization_url: `${ctx.shape.api}/orgs/{org}`,
      installed_version: ctx.state.version,
    },
  }));
}
