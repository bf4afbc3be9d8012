/**
 * Verifies the OIDC tokens GHES issues to workflow jobs (GitHub docs "OpenID Connect reference",
 * enterprise-server: issuer https://HOSTNAME/_services/token, RS256, `kid` in the header, keys at
 * the discovery document's `jwks_uri`) with jose (panva/jose `jwtVerify`, `createLocalJWKSet`).
 *
 * Why not jose's createRemoteJWKSet: it fetches with Node's https module and knows nothing of
 * github.caFile, the proxy variables or the agent's response limits. The discovery document and
 * the JWKS come through the agent's own fetch (util/http-fetch.ts, GHES's CA bundle, deadline,
 * size cap) and are kept in memory; an unknown `kid` (GHES rotated its key) refreshes them, at
 * most once per `minRefreshMs`, so a flood of tokens with made-up kids cannot make the agent hammer
 * GHES.
 *
 * Who could present a token: anyone who reaches the relay. What stops a forged one: the signature
 * must verify against GHES's published keys (RS256 only: `alg: none` and HMAC tokens are refused),
 * `iss` must be the configured issuer, `aud` the configured audience (a token minted for another
 * service cannot be replayed here), and `exp`/`nbf` hold (jose checks both, no clock tolerance
 * beyond `clockToleranceS`).
 */
import { type JSONWebKeySet, type JWTPayload, createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { AgentError } from '../errors.js';
import type { FetchFn } from '../util/http-fetch.js';

export interface OidcVerifier {
  /** The verified claims, or an AgentError 'auth' (status 401) saying why the token is refused. */
  verify(token: string): Promise<JWTPayload>;
}

const JWKS_MAX_BYTES = 256 * 1024;

export function createOidcVerifier(deps: {
  issuer: string;
  audience: string;
  fetch: FetchFn;
  now: () => number;
  /** Unknown-kid refreshes at most this often; the first load is not limited. */
  minRefreshMs?: number;
  clockToleranceS?: number;
}): OidcVerifier {
  const minRefreshMs = deps.minRefreshMs ?? 30_000;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = -Infinity;
  let failedAt = -Infinity;
  let loading: Promise<void> | undefined;

  async function getJson(url: string, what: string): Promise<unknown> {
    let res;
    let text: string;
    try {
      res = await deps.fetch(url, { method: 'GET', headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (err) {
      throw new AgentError('network', `GHES's ${what} could not be read (${url}): ${err instanceof Error ? err.message : String(err)}`, {
        retriable: true,
        status: 503,
        cause: err,
      });
    }
    if (!res.ok) throw new AgentError('server', `GHES answered ${res.status} to the ${what} (${url})`, { retriable: true, status: 502 });
    if (text.length > JWKS_MAX_BYTES)
      throw new AgentError('limits', `GHES's ${what} is larger than ${JWKS_MAX_BYTES} bytes`, { status: 502 });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AgentError('server', `GHES's ${what} (${url}) is not JSON`, { retriable: true, status: 502 });
    }
  }

  async function load(): Promise<void> {
    // GHES unreachable: callers get 503 at once for a while instead of each trying GHES again.
    if (!loading && deps.now() - failedAt < minRefreshMs / 6)
      throw new AgentError('network', "GHES's OIDC keys could not be read a moment ago", { retriable: true, status: 503 });
    loading ??= (async () => {
      try {
        // OpenID Connect Discovery 1.0 §4: <issuer>/.well-known/openid-configuration.
        const discovery = (await getJson(`${deps.issuer}/.well-known/openid-configuration`, 'OIDC discovery document')) as {
          issuer?: unknown;
          jwks_uri?: unknown;
        };
        if (discovery.issuer !== deps.issuer)
          throw new AgentError(
            'server',
            `GHES's OIDC discovery names issuer ${String(discovery.issuer)}, not ${deps.issuer} (relay.oidcIssuer)`,
            { status: 502 },
          );
        const jwksUri = typeof discovery.jwks_uri === 'string' ? discovery.jwks_uri : '';
        // The keys must come from the issuer's own origin: a discovery document pointing elsewhere is not trusted.
        if (!jwksUri || new URL(jwksUri).origin !== new URL(deps.issuer).origin)
          throw new AgentError(
            'server',
            `GHES's OIDC discovery names jwks_uri ${jwksUri || '(none)'}, not on ${new URL(deps.issuer).origin}`,
            { status: 502 },
          );
        const jwks = (await getJson(jwksUri, 'OIDC JWKS')) as JSONWebKeySet;
        try {
          keys = createLocalJWKSet(jwks);
        } catch {
          throw new AgentError('server', `GHES's OIDC JWKS (${jwksUri}) is not a JSON Web Key Set`, { status: 502 });
        }
        loadedAt = deps.now();
      } catch (err) {
        failedAt = deps.now();
        throw err;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  async function verifyWith(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, keys!, {
      issuer: deps.issuer,
      audience: deps.audience,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat'],
      clockTolerance: deps.clockToleranceS ?? 5,
      currentDate: new Date(deps.now()),
    });
    return payload;
  }

  return {
    async verify(token) {
      try {
        if (!keys) await load();
        try {
          return await verifyWith(token);
        } catch (err) {
          // GHES rotated its key: the token names a kid the cached set does not have.
          if (err instanceof joseErrors.JWKSNoMatchingKey && deps.now() - loadedAt >= minRefreshMs) {
            await load();
            return await verifyWith(token);
          }
          throw err;
        }
      } catch (err) {
        if (err instanceof AgentError)
          throw err.status === 401
            ? err
            : new AgentError(err.code, `the relay cannot verify tokens now: ${err.message}`, { retriable: true, status: 503, cause: err });
        throw new AgentError('auth', `the token is refused: ${refusalReason(err)}`, { status: 401 });
      }
    },
  };
}

/** A short reason for a refused token; never the token itself. */
function refusalReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'it has expired (exp)';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `claim ${err.claim} is not accepted (${err.reason === 'check_failed' ? 'wrong value' : err.reason})`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'it is not signed by a key GHES publishes (unknown kid)';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature does not verify against GHES's keys";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not RS256';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'it is not a signed JWT';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'it is not a signed JWT';
}
