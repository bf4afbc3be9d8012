import { randomBytes } from 'node:crypto';
import { notFound, type SimContext } from '../context.js';
import type { Router } from '../router.js';
import { APP_PERMISSIONS, appShape, installationShape, iso } from '../shapes.js';

// Routes an App JWT may call (route auth 'jwt'); installation tokens are refused there.
export function addAppRoutes(r: Router, ctx: SimContext): void {
  const { state } = ctx;
  r.add('GET', '/app', 'jwt', () => ({ status: 200, body: appShape(ctx.shape, ctx.app, state.installations.size) }));
  r.add('GET', '/app/installations', 'jwt', () => ({
    status: 200,
    list: true,
    body: [...state.installations.values()].map((i) => installationShape(ctx.shape, ctx.app, i)),
  }));
  r.add('GET', '/app/installations/{installation_id}', 'jwt', (req) => {
    const i = state.installations.get(Number(req.params.installation_id));
    return i ? { status: 200, body: installationShape(ctx.shape, ctx.app, i) } : notFound(ctx);
  });
  r.add('POST', '/app/installations/{installation_id}/access_tokens', 'jwt', (req) => {
    const i = state.installations.get(Number(req.params.installation_id));
    if (!i) return notFound(ctx);
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    const expiresAtMs = ctx.clock.now() + ctx.tokenTtlMs;
    state.credentials.set(token, { kind: 'installation', token, installationId: i.id, expiresAtMs });
    return {
      status: 201,
      body: {
        token,
        expires_at: iso(expiresAtMs),
        permissions: { ...(i.permissions ?? APP_PERMISSIONS) },
        repository_selection: i.repositories === 'all' ? 'all' : 'selected',
      },
    };
  });
  r.add('GET', '/orgs/{org}/installation', 'jwt', (req) => {
    const org = req.params.org!.toLowerCase();
    const i = [...state.installations.values()].find((x) => x.account.login.toLowerCase() === org);
    return i ? { status: 200, body: installationShape(ctx.shape, ctx.app, i) } : notFound(ctx);
  });
  r.add('GET', '/users/{username}/installation', 'jwt', (req) => {
    const login = req.params.username!.toLowerCase();
    const i = [...state.installations.values()].find((x) => x.account.login.toLowerCase() === login);
    return i ? { status: 200, body: installationShape(ctx.shape, ctx.app, i) } : notFound(ctx);
  });
  r.add('GET', '/repos/{owner}/{repo}/installation', 'jwt', (req) => {
    const repo = state.findRepo(req.params.owner!, req.params.repo!);
    if (!repo) return notFound(ctx);
    const i = [...state.installations.values()].find(
      (x) =>
        x.account.id === repo.owner.id &&
        (x.repositories === 'all' ||
          x.repositories.some(
            (n) => n.toLowerCase() === repo.name.toLowerCase() || n.toLowerCase() === `${repo.owner.login}/${repo.name}`.toLowerCase(),
          )),
    );
    return i ? { status: 200, body: installationShape(ctx.shape, ctx.app, i) } : notFound(ctx);
  });
}
