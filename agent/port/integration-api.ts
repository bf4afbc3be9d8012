import { AgentError } from '../errors.js';
import type { PortHttp } from './port-http.js';

export interface IntegrationRecord {
  installationId: string;
  installationAppType?: string;
  actionsProcessingEnabled?: boolean;
  version?: string;
}

export interface IntegrationApi {
  get(installationId: string): Promise<IntegrationRecord | undefined>;
  create(record: {
    installationId: string;
    installationAppType: string;
    title: string;
    version: string;
    actionsProcessingEnabled: boolean;
  }): Promise<IntegrationRecord>;
  patch(installationId: string, changes: { actionsProcessingEnabled?: boolean; version?: string }): Promise<IntegrationRecord>;
}

/**
 * The integration record an installation id names: GET and PATCH /v1/integration/{identifier}
 * (Port's API description; they need the moderator or admin role), POST /v1/integration as Ocean
 * creates its record when missing (ocean mixins/integrations.py create_integration, called from
 * core/defaults/initialization/initialize.py). A 403 is not retried: the token lacks the role.
 */
export function createIntegrationApi(deps: { http: PortHttp }): IntegrationApi {
  const { http } = deps;
  const path = (id: string) => `/v1/integration/${encodeURIComponent(id)}`;
  async function answer(operation: string, res: Awaited<ReturnType<PortHttp['call']>>): Promise<IntegrationRecord> {
    if (res.status === 403) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new AgentError(
        'forbidden',
        `Port refused ${operation.replace('_', ' ')} (403: ${text}): managing integrations needs a token of an organization credential with the moderator or admin role`,
        { status: 403 },
      );
    }
    if (!res.ok) await http.fail(operation, res);
    const body = (await res.json()) as { integration?: IntegrationRecord };
    if (!body.integration) throw new AgentError('port', `Port's ${operation} answered without "integration"`, { retriable: true });
    return body.integration;
  }
  return {
    async get(installationId) {
      const res = await http.call('get_integration', 'GET', path(installationId));
      if (res.status === 404) {
        await res.text().catch(() => '');
        return undefined;
      }
      return answer('get_integration', res);
    },
    async create(record) {
      return answer(
        'create_integration',
        await http.call('create_integration', 'POST', '/v1/integration', { body: { ...record, config: {} } }),
      );
    },
    async patch(installationId, changes) {
      return answer('patch_integration', await http.call('patch_integration', 'PATCH', path(installationId), { body: changes }));
    },
  };
}
