// GHES's OpenID Connect provider for GitHub Actions, as the relay (agent/relay/) meets it.
// Sources (GitHub docs, enterprise-server): "OpenID Connect reference" — issuer
// https://HOSTNAME/_services/token, discovery at <issuer>/.well-known/openid-configuration, keys
// at its jwks_uri (<issuer>/.well-known/jwks), tokens signed RS256 with `kid` (and `x5t`) in the
// header, claims as in its example token (repository, repository_id, repository_owner,
// repository_owner_id, run_id, run_number, run_attempt, workflow, workflow_ref, job_workflow_ref,
// ref, ref_type, sha, environment, actor, actor_id, event_name, sub, aud, iss, nbf, exp, iat, jti;
// ids written as strings; the example's exp is iat + 300 and nbf is iat - 600). A job asks for one
// with core.getIDToken(audience) ("Using OpenID Connect with reusable workflows" /
// actions/toolkit core). Key rotation: the JWKS lists the keys in use, a new key gets a new kid.
import { randomBytes, randomUUID } from 'node:crypto';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { SimContext } from './context.js';

type RsaKey = Awaited<ReturnType<typeof generateKeyPair>>;
interface SigningKey {
  kid: string;
  pair: RsaKey;
  jwk: JWK;
}

export interface MintOptions {
  audience: string;
  /** Overrides or additions to the claims (e.g. another repository_id, an environment). */
  claims?: Record<string, unknown>;
  /** Seconds from the simulator's now; default iat = now, nbf = now - 600, exp = now + 300. */
  iatOffsetS?: number;
  expInS?: number;
  issuer?: string;
  /** 'other': a key GHES never published (same kid as the current one); 'none': alg none, no signature. */
  signer?: 'current' | 'other' | 'none';
  environment?: string;
}

export interface OidcProvider {
  issuer(): string;
  discovery(): Record<string, unknown>;
  jwks(): { keys: JWK[] };
  /** A token for a job of GitHub run `runId` (the simulator's run: its repository, workflow, ref). */
  mintForRun(runId: number, opts: MintOptions): Promise<string>;
  /** A new signing key; the previous one stays published unless `dropOld`. */
  rotate(opts?: { dropOld?: boolean }): Promise<void>;
}

async function newKey(): Promise<SigningKey> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(12).toString('hex');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, pair, jwk };
}

export async function createOidcProvider(ctx: SimContext): Promise<OidcProvider> {
  const keys: SigningKey[] = [await newKey()];
  let outsider: SigningKey | undefined;
  const issuer = () => `${ctx.shape.origin}/_services/token`;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return {
    issuer,
    discovery: () => ({
      issuer: issuer(),
      jwks_uri: `${issuer()}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: [
        'sub',
        'aud',
        'exp',
        'iat',
        'iss',
        'jti',
        'nbf',
        'ref',
        'sha',
        'repository',
        'repository_id',
        'repository_owner',
        'repository_owner_id',
        'run_id',
        'run_number',
        'run_attempt',
        'actor',
        'actor_id',
        'workflow',
        'workflow_ref',
        'job_workflow_ref',
        'head_ref',
        'base_ref',
        'event_name',
        'ref_type',
        'environment',
        'runner_environment',
      ],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    }),
    jwks: () => ({ keys: keys.map((k) => k.jwk) }),
    async mintForRun(runId, opts) {
      const run = ctx.state.runs.get(runId);
      if (!run) throw new Error(`mintForRun: unknown run ${runId}`);
      const full = `${run.repo.owner.login}/${run.repo.name}`;
      const ref = run.headBranch.startsWith('refs/') ? run.headBranch : `refs/heads/${run.headBranch}`;
      const now = Math.floor(ctx.clock.now() / 1000) + (opts.iatOffsetS ?? 0);
      const environment = opts.environment;
      const claims: Record<string, unknown> = {
        jti: randomUUID(),
        sub: environment ? `repo:${full}:environment:${environment}` : `repo:${full}:ref:${ref}`,
        ...(environment ? { environment } : {}),
        aud: opts.audience,
        ref,
        sha: run.headSha,
        repository: full,
        repository_owner: run.repo.owner.login,
        repository_owner_id: String(run.repo.owner.id),
        repository_visibility: 'private',
        repository_id: String(run.repo.id),
        run_id: String(run.id),
        run_number: String(run.runNumber),
        run_attempt: String(run.attempts.length),
        runner_environment: 'self-hosted',
        actor: run.actor.login,
        actor_id: String(run.actor.id),
        workflow: run.workflow.name,
        head_ref: '',
        base_ref: '',
        event_name: 'workflow_dispatch',
        ref_type: 'branch',
        workflow_ref: `${full}/${run.workflow.path}@${ref}`,
        job_workflow_ref: `${full}/${run.workflow.path}@${ref}`,
        iss: opts.issuer ?? issuer(),
        nbf: now - 600,
        iat: now,
        exp: now + (opts.expInS ?? 300),
        ...opts.claims,
      };
      const current = keys[keys.length - 1]!;
      if (opts.signer === 'none') return `${b64({ alg: 'none', typ: 'JWT', kid: current.kid })}.${b64(claims)}.`;
      let key = current;
      if (opts.signer === 'other') {
        outsider ??= await newKey();
        key = { ...outsider, kid: current.kid };
      }
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid }).sign(key.pair.privateKey);
    },
    async rotate(opts = {}) {
      const next = await newKey();
      if (opts.dropOld) keys.splice(0, keys.length);
      keys.push(next);
    },
  };
}
