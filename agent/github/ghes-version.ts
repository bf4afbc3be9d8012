export type Version = [number, number, number];

/** "3.19.2" → [3, 19, 2]; anything unparsable → undefined. */
export function parseVersion(text: string | undefined | null): Version | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text?.trim() ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** GHES 3.21 added return_run_details to the dispatch API (cli/cli feature detection). */
export function supportsRunDetails(v: Version): boolean {
  return v[0] > 3 || (v[0] === 3 && v[1] >= 21);
}
