import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckContext } from '../../agent/cli/check/context.js';
import { portApiInstallation, portApiMachineToken } from '../../agent/cli/check/port-api-checks.js';
import type { AgentConfig } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/errors.js';
import type { IntegrationRecord } from '../../agent/port/integration-api.js';

function ctx(
  claims: Record<string, unknown>,
  record: IntegrationRecord | undefined | Error,
  mode: 'register' | 'existing' = 'register',
): CheckContext {
  return {
    config: { port: { clientId: 'cid' }, portApi: { installationId: 'ghes-agent', integrationMode: mode } } as unknown as AgentConfig,
    portApi: {
      tokenClaims: async () => claims,
      integrations: {
        get: async () => {
          if (record instanceof Error) throw record;
          return record;
        },
        create: async () => ({ installationId: 'x' }),
        patch: async () => ({ installationId: 'x' }),
      },
    },
  } as unknown as CheckContext;
}

describe('port-api checks', () => {
  it('machine token: isMachine false fails naming the organization credentials; personalToken is the fallback', async () => {
    const personal = await portApiMachineToken.run(ctx({ isMachine: false }, undefined));
    assert.equal(personal.status, 'fail');
    assert.match(personal.fix ?? '', /organization credentials/);
    assert.equal((await portApiMachineToken.run(ctx({ personalToken: true }, undefined))).status, 'fail');
    assert.equal((await portApiMachineToken.run(ctx({ isMachine: true }, undefined))).status, 'pass');
    assert.match((await portApiMachineToken.run(ctx({}, undefined))).message, /no isMachine claim/);
  });

  it('installation: missing is registered at start (register) or fails (existing); 403 needs the role to register', async () => {
    assert.equal((await portApiInstallation.run(ctx({}, undefined))).status, 'pass');
    assert.equal((await portApiInstallation.run(ctx({}, undefined, 'existing'))).status, 'fail');
    const forbidden = new AgentError('forbidden', 'no role', { status: 403 });
    assert.match((await portApiInstallation.run(ctx({}, forbidden))).fix ?? '', /moderator or admin|integrationMode: existing/);
    assert.equal((await portApiInstallation.run(ctx({}, forbidden, 'existing'))).status, 'pass');
    assert.match(
      (await portApiInstallation.run(ctx({}, { installationId: 'ghes-agent', actionsProcessingEnabled: false }, 'existing'))).message,
      /actions processing OFF/,
    );
  });
});
