import { toAgentError } from '../../errors.js';
import type { CheckContext } from './context.js';
import { type Check, fail, pass } from './types.js';

/**
 * The HTTPS intake's preconditions, as the agent checks them at start (agent/claim/setup-checks.ts):
 * a machine (organization) credential, and the installation it executes for. Claims themselves
 * are not tried: a claim hides the runs it hands out from everyone for the visibility timeout.
 */
export const portApiMachineToken: Check<CheckContext> = {
  id: 'port-api.machine-token',
  part: 'port-api',
  needs: ['port.credentials'],
  async run(ctx) {
    const claims = await ctx.portApi.tokenClaims();
    const isMachine =
      typeof claims.isMachine === 'boolean'
        ? claims.isMachine
        : typeof claims.personalToken === 'boolean'
          ? !claims.personalToken
          : undefined;
    if (isMachine === false) {
      return fail(
        `client id ${ctx.config.port.clientId} is a personal or service-account credential (isMachine: false); Port hands GitHub Ocean and workflow-node runs to machine credentials only`,
        'use the organization credentials from Port → Settings → Credentials for port.clientId/port.clientSecret, or set portApi.enabled: false',
      );
    }
    return pass(
      isMachine
        ? 'a machine (organization) credential: Port hands it integration runs'
        : "Port's token carries no isMachine claim: claims will tell whether Port hands it runs",
    );
  },
};

export const portApiInstallation: Check<CheckContext> = {
  id: 'port-api.installation',
  part: 'port-api',
  needs: ['port-api.machine-token'],
  async run(ctx) {
    const { installationId, integrationMode } = ctx.config.portApi;
    let record;
    try {
      record = await ctx.portApi.integrations.get(installationId);
    } catch (err) {
      const e = toAgentError(err);
      if (e.status !== 403) throw err;
      return integrationMode === 'register'
        ? fail(
            `Port refused to read integration "${installationId}" (403): registering it needs the moderator or admin role`,
            'give the credential that role, or create the installation in Port and set portApi.integrationMode: existing',
          )
        : pass(`cannot read integration "${installationId}" (403, needs the moderator or admin role); the agent claims for it anyway`);
    }
    if (!record) {
      return integrationMode === 'register'
        ? pass(`integration "${installationId}" does not exist yet: the agent registers it at start (portApi.integrationMode: register)`)
        : fail(
            `Port has no integration installation "${installationId}"`,
            'name an installation listed in Port → Data sources in portApi.installationId, or set portApi.integrationMode: register',
          );
    }
    if (record.actionsProcessingEnabled === true)
      return pass(`integration "${installationId}" (${record.installationAppType ?? 'unknown type'}) exists with actions processing on`);
    return integrationMode === 'register'
      ? pass(`integration "${installationId}" exists with actions processing off: the agent turns it on at start`)
      : pass(`integration "${installationId}" exists with actions processing OFF: Port may hand out none of its runs; turn it on in Port`);
  },
};

export const portApiChecks = [portApiMachineToken, portApiInstallation];
