import type { Octokit } from '@octokit/core';

/** An Octokit client as github-client.ts composes it (the adapters' one handle on GHES). */
export type Gh = InstanceType<typeof Octokit>;

/** One App installation's clients: a retrying one and a plugin-retry-free one sharing its token cache. */
export interface Installation {
  id: number;
  gh: Gh;
  once: Gh;
}

/**
 * Runs `call` with the owner's client (`once`: the plugin-retry-free one), once more with a new
 * client after a 401/404 when the installation changed (github-api.ts).
 */
export type WithOwner = <T>(owner: string, once: boolean, call: (gh: Gh) => Promise<T>) => Promise<T>;

/** Turns a failed request into the AgentError naming `what` was being done (classify-error.ts). */
export type Fail = (what: string) => (err: unknown) => never;
