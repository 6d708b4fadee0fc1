import { createHash } from 'node:crypto';

/**
 * A key sent to an external provider (Stripe's Idempotency-Key, an e-mail's Message-ID, a
 * sandbox id). Only `providerKeyFor` makes one, so a gateway cannot be handed a client's
 * `idempotencyKey` or any other raw string by mistake.
 */
export type ProviderKey = string & { readonly __providerKey: unique symbol };

/** The job a provider call belongs to. */
export interface ProviderKeyOwner {
  tenantId: string;
  jobId: string;
}

/**
 * The one derivation of provider keys: from the tenant, the job and the step. The same on
 * every re-run of the job (a retry, a dead-letter retry or a recovered job keeps its id), so
 * the provider replays instead of acting twice; different per tenant and per job, so neither
 * two tenants nor two jobs can share a provider object (or pre-empt each other's keys on a
 * shared account). The client's `idempotencyKey` is not an input: it decides which job a
 * submission is, and only the job id goes on.
 */
export function providerKeyFor(owner: ProviderKeyOwner, step: string): ProviderKey {
  if (!/^[a-z0-9_]+$/.test(step)) throw new Error(`A provider key step is a constant name, not ${JSON.stringify(step)}`);
  const digest = createHash('sha256').update(['provider-key/v2', owner.tenantId, owner.jobId, step].join('\u0000')).digest('hex');
  return `${step}-${digest}` as ProviderKey;
}
