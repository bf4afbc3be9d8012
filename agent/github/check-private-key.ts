import { createPrivateKey } from 'node:crypto';
import { AgentError } from '../errors.js';

/**
 * Parses the GitHub App key once at start. A PEM-shaped key that OpenSSL cannot read would
 * otherwise fail every JWT signature at run time, retried forever under a network-looking
 * error. The message names the setting and OpenSSL's code, never the key's content.
 */
export function checkPrivateKey(pem: string): void {
  try {
    createPrivateKey(pem);
  } catch (err) {
    throw new AgentError(
      'config',
      `github.privateKey: looks like PEM but cannot be read as a private key (${(err as { code?: string }).code ?? 'invalid'}). ` +
        "Use the .pem file downloaded from the GitHub App's settings page, unmodified (github.privateKey or github.privateKeyFile).",
    );
  }
}
