import { AgentError, toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { IntegrationApi } from '../port/integration-api.js';

/**
 * Before the HTTPS intake claims anything: the credential must be a machine (organization) one,
 * and the installation the agent executes for must exist in Port with actions processing on.
 *
 * - Ocean refuses to process actions unless its token's JWT claim `isMachine` is true, falling
 *   back to `not personalToken` when the claim is absent (ocean clients/port/authentication.py
 *   is_machine_user, core/handlers/actions/execution_manager.py); Port's docs: "Personal tokens or
 *   service account tokens are not supported" (setup-backend/github-ocean).
 * - Ocean looks its integration record up at start and creates it when missing, then PATCHes it
 *   when its settings differ, actionsProcessingEnabled included (ocean core/defaults/
 *   initialization/initialize.py). With `integrationMode: register` the agent does the same for
 *   its own installation id; with `existing` it only reads the record of an installation that
 *   exists already (a self-hosted GitHub Ocean integration whose own actions processor is off).
 */
export async function checkClaimSetup(deps: {
  tokenClaims: () => Promise<Record<string, unknown>>;
  integrations: IntegrationApi;
  settings: { installationId: string; integrationMode: 'register' | 'existing'; integrationType: string; version: string };
  logger: Logger;
}): Promise<void> {
  const log = deps.logger.child({ component: 'claim' });
  const { installationId, integrationMode } = deps.settings;
  const claims = await deps.tokenClaims();
  const isMachine =
    typeof claims.isMachine === 'boolean'
      ? claims.isMachine
      : typeof claims.personalToken === 'boolean'
        ? !claims.personalToken
        : undefined;
  if (isMachine === false) {
    throw new AgentError(
      'config',
      'port.clientId is a personal or service-account credential (its token says isMachine: false). Port hands GitHub Ocean and workflow-node runs to machine (organization) credentials only ' +
        '("Personal tokens or service account tokens are not supported", Port docs, setup-backend/github-ocean): use the organization credentials from Port → Settings → Credentials, or set portApi.enabled: false.',
    );
  }
  if (isMachine === undefined)
    log.warn(
      "Port's token carries no isMachine claim: cannot tell whether it is a machine credential; claims will fail with 403 if it is not",
    );

  let record;
  try {
    record = await deps.integrations.get(installationId);
  } catch (raw) {
    const err = toAgentError(raw);
    if (err.status !== 403) throw err;
    if (integrationMode === 'register') {
      throw new AgentError(
        'config',
        `${err.message}. portApi.integrationMode: register creates the integration record "${installationId}", which needs that role; give the credential the role, or create the installation in Port yourself and use portApi.integrationMode: existing.`,
      );
    }
    log.warn(`cannot read integration "${installationId}" (${err.message}); claiming for it anyway`);
    return;
  }
  if (!record) {
    if (integrationMode === 'existing') {
      throw new AgentError(
        'config',
        `Port has no integration installation "${installationId}" (portApi.installationId). With portApi.integrationMode: existing it must name an installation listed in Port → Data sources (e.g. your self-hosted GitHub Ocean integration); or use portApi.integrationMode: register to let the agent create it.`,
      );
    }
    try {
      await deps.integrations.create({
        installationId,
        installationAppType: deps.settings.integrationType,
        title: 'ghes-agent (GitHub Enterprise Server)',
        version: deps.settings.version,
        actionsProcessingEnabled: true,
      });
      log.info(
        `registered integration installation "${installationId}" (${deps.settings.integrationType}) in Port: actions name it as their installationId`,
      );
      return;
    } catch (raw) {
      // Replicas starting together (a Deployment of two) both find no record and both POST it:
      // Port answers the later one 409 "already exists". That record is the one wanted; read it
      // and go on as if it had been found (its actions processing is checked below).
      if (toAgentError(raw).status !== 409) throw raw;
      record = await deps.integrations.get(installationId);
      if (!record) throw raw;
      log.info(`integration installation "${installationId}" was registered in Port by another replica at the same time`);
    }
  }
  if (record.actionsProcessingEnabled === true) return;
  if (integrationMode === 'register') {
    await deps.integrations.patch(installationId, { actionsProcessingEnabled: true });
    log.info(`turned actions processing on for integration installation "${installationId}"`);
  } else {
    log.warn(
      `integration installation "${installationId}" has actions processing off in Port: Port may not hand its runs out. Turn it on in Port, or use portApi.integrationMode: register (the agent turns it on). ` +
        'A self-hosted Ocean integration turns it back off at each of its starts unless its own actionsProcessor is enabled.',
    );
  }
}
