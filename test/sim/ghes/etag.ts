import { createHash } from 'node:crypto';

// GitHub answers lists with weak validators and single objects with strong ones, and
// the validator differs per credential (a 304 must never leak another caller's view).
export function computeEtag(body: string, credentialId: string, weak: boolean): string {
  const h = createHash('sha256').update(credentialId).update('\0').update(body).digest('hex').slice(0, 40);
  return weak ? `W/"${h}"` : `"${h}"`;
}

/** Weak comparison (RFC 9110 §13.1.2), as GitHub applies to If-None-Match. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string): string => t.trim().replace(/^W\//, '');
  const target = opaque(etag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === target);
}
