import { globToRegExp } from '../policy/glob.js';

export type OrgRoute = 'mine' | 'not_mine' | 'unserved';

/**
 * Which agent a run's organization belongs to, when several agents (one per GHES instance)
 * share one Port topic: this one (`github.orgs`), another one (then it is left to that agent,
 * with no report), or none at all — the catch-all agent (`github.catchAll`) reports those
 * FAILURE with the reason, so no run waits forever. Globs are case-insensitive, as GitHub
 * organization names are.
 */
export function createOrgRouting(opts: { orgs: string[]; catchAll: boolean; otherAgentsOrgs: string[] }): (org: string) => OrgRoute {
  const mine = opts.orgs.map((g) => globToRegExp(g, true));
  const others = opts.otherAgentsOrgs.map((g) => globToRegExp(g, true));
  return (org) => {
    if (mine.some((re) => re.test(org))) return 'mine';
    if (opts.catchAll && !others.some((re) => re.test(org))) return 'unserved';
    return 'not_mine';
  };
}
