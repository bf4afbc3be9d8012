import { AgentError } from '../../errors.js';
import { describeNetworkError } from '../../util/http-fetch.js';
import type { CheckContext } from './context.js';
import { type Check, fail, pass } from './types.js';

/** Port's API reachable and the client id/secret accepted (one access-token request). */
export const portCredentials: Check<CheckContext> = {
  id: 'port.credentials',
  part: 'port',
  async run(ctx) {
    const { apiUrl, clientId, clientSecret } = ctx.config.port;
    const host = new URL(apiUrl).host;
    let res;
    try {
      res = await ctx.portFetch(`${apiUrl}/v1/auth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'ghes-agent' },
        body: JSON.stringify({ clientId, clientSecret }),
        // The body is the client secret: no redirect is followed, the 3xx is a failure (issue 23).
        redirect: 'manual',
      });
    } catch (err) {
      const why = describeNetworkError(err, host, 'port.caFile');
      return fail(
        `Port API at ${apiUrl}: ${why}`,
        /not trusted/.test(why)
          ? 'a TLS-inspecting proxy? give its CA as port.caFile (Helm: caBundle.pem)'
          : `allow egress to ${host}:443 (proxy: HTTPS_PROXY), or check port.region / port.apiUrl`,
      );
    }
    const body = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) {
      return fail(
        `Port rejected client id ${clientId} (${res.status}) at ${apiUrl}`,
        'copy port.clientId and port.clientSecret again from Port → Settings → Credentials, and check port.region (eu or us)',
      );
    }
    if (res.redirectRefused)
      return fail(
        `Port's token endpoint answered ${res.status}, a redirect ${res.redirectRefused}`,
        'set port.apiUrl (or port.region) to the URL that answers itself; the client secret is never sent on to a redirect',
      );
    if (!res.ok)
      return fail(
        `Port's token endpoint answered ${res.status}: ${body.slice(0, 200)}`,
        "retry later; if it persists, check port.apiUrl and Port's status page",
      );
    return pass(`Port at ${apiUrl} accepted client id ${clientId}`);
  },
};

/** The Kafka credentials Port issues this organization (or those configured). */
export const portKafkaCredentials: Check<CheckContext> = {
  id: 'port.kafka-credentials',
  part: 'kafka',
  needs: ['port.credentials'],
  async run(ctx) {
    const k = ctx.config.kafka;
    if (k.brokers.length) {
      ctx.facts.kafkaCredentials = { brokers: k.brokers, username: k.username, password: k.password };
      return pass(`configured in kafka.brokers (${k.brokers.join(', ')}) for user ${k.username}; not fetched from Port`);
    }
    try {
      ctx.facts.kafkaCredentials = await ctx.port.getKafkaCredentials();
    } catch (err) {
      const e = err instanceof AgentError ? err : undefined;
      if (e?.status === 404 || e?.status === 403) {
        return fail(
          `Port has no Kafka credentials for this organization (${e.status})`,
          'the GitHub App (Kafka) integration must be enabled for the organization in Port; or use the HTTPS intake',
        );
      }
      throw err;
    }
    const c = ctx.facts.kafkaCredentials;
    return pass(`Port issued Kafka credentials for user ${c.username} (brokers ${c.brokers.join(', ')})`);
  },
};

export const portChecks = [portCredentials, portKafkaCredentials];
