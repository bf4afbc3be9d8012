// checkClaimSetup at start with integrationMode: register, when two replicas register the same
// installation at once: Port answers the later POST /v1/integration 409 "already exists" (the
// Port simulator's routes-integration.ts), and that replica must start, not exit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkClaimSetup } from '../../agent/claim/setup-checks.js';
import { AgentError } from '../../agent/errors.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import type { IntegrationApi, IntegrationRecord } from '../../agent/port/integration-api.js';

const settings = { installationId: 'ghes-agent', integrationMode: 'register' as const, integrationType: 'github-ocean', version: '1.0.0' };
const logger = createLogger({ level: 'error', secrets: createSecretScrubber([]) });

/** Port where another replica creates the record between this one's read and its POST. */
function racingPort(createError: AgentError, theirs: IntegrationRecord | undefined) {
  const calls: string[] = [];
  let reads = 0;
  const integrations: IntegrationApi = {
    get: async () => (calls.push('get'), reads++ === 0 ? undefined : theirs),
    create: async () => {
      calls.push('create');
      throw createError;
    },
    patch: async (id) => (calls.push('patch'), { installationId: id, actionsProcessingEnabled: true }),
  };
  return { calls, integrations };
}

const conflict = new AgentError('port', 'Port API create_integration answered 409: already exists', { status: 409 });

describe('claim setup: registering the installation', () => {
  it('a 409 from the POST (another replica registered it just now) reads the record and starts', async () => {
    const port = racingPort(conflict, { installationId: 'ghes-agent', actionsProcessingEnabled: true });
    await checkClaimSetup({ tokenClaims: async () => ({ isMachine: true }), integrations: port.integrations, settings, logger });
    assert.deepEqual(port.calls, ['get', 'create', 'get']);
  });

  it('the record the other replica made is still turned on for actions when it is off', async () => {
    const port = racingPort(conflict, { installationId: 'ghes-agent', actionsProcessingEnabled: false });
    await checkClaimSetup({ tokenClaims: async () => ({ isMachine: true }), integrations: port.integrations, settings, logger });
    assert.deepEqual(port.calls, ['get', 'create', 'get', 'patch']);
  });

  it('a 409 with no record to read afterwards, and any other refusal, still stop the start', async () => {
    const gone = racingPort(conflict, undefined);
    await assert.rejects(
      checkClaimSetup({ tokenClaims: async () => ({ isMachine: true }), integrations: gone.integrations, settings, logger }),
      /409/,
    );
    const refused = racingPort(new AgentError('port', 'Port API create_integration answered 422: bad', { status: 422 }), undefined);
    await assert.rejects(
      checkClaimSetup({ tokenClaims: async () => ({ isMachine: true }), integrations: refused.integrations, settings, logger }),
      /422/,
    );
    assert.deepEqual(refused.calls, ['get', 'create']);
  });
});
