import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SignatureVariant } from './verify-signature.js';

/**
 * Counts which form of the message Port's signature matched, and logs each form the first
 * time it is seen (then whenever it changes): the one line an operator needs to learn which
 * form Port signs GITHUB messages in, without a log line per message.
 */
export function createSignatureVariantNote(deps: { metrics: Metrics; logger: Logger }) {
  let last: SignatureVariant | undefined;
  return (variant: SignatureVariant, fields: Record<string, unknown>): void => {
    deps.metrics.signatureVariants.inc({ signature_variant: variant });
    if (variant === last) return;
    last = variant;
    deps.logger.info(
      `X-Port-Signature matched the message with ${variant === 'headers_deleted' ? 'its headers object deleted' : 'the two X-Port-* keys deleted from headers'} (signature_variant=${variant})`,
      {
        ...fields,
        signature_variant: variant,
      },
    );
  };
}
