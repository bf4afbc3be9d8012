import { fail, type SimContext } from '../context.js';
import type { Router } from '../router.js';
import { authenticatedUserShape } from '../shapes.js';

// GET /user: who a token belongs to (the agent filters run lists by that login, as Ocean's
// PersonalTokenAuthenticator.get_authenticated_actor does). An installation token is refused
// there: it acts as the App's bot, which GET /app names (slug + "[bot]").
export function addUserRoutes(r: Router, ctx: SimContext): void {
  r.add('GET', '/user', 'token', (req) => {
    if (req.principal.kind !== 'pat') return fail(ctx, 403, 'Resource not accessible by integration');
    const account = ctx.state.account(req.principal.login, 'User');
    return { status: 200, body: authenticatedUserShape(ctx.shape, account, ctx.app.createdAtMs) };
  });
}
