/** Port's externalRunId for a GitHub run, as Port's own integration writes it. */
export function externalRunId(ownerId: number, repoId: number, runId: number): string {
  return `gh_${ownerId}_${repoId}_${runId}`;
}

/** The GitHub run id recorded on a Port run by a previous dispatch, if any. */
export function recordedGithubRunId(run: { externalRunId?: string | null; link?: string | string[] | null }): number | undefined {
  const m = /^gh_\d+_\d+_(\d+)$/.exec(run.externalRunId ?? '');
  if (m) return Number(m[1]);
  const links = Array.isArray(run.link) ? run.link : run.link ? [run.link] : [];
  for (const link of links) {
    const l = /\/actions\/runs\/(\d+)(?:[/?#]|$)/.exec(link);
    if (l) return Number(l[1]);
  }
  return undefined;
}
