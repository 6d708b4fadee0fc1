import { createHash } from 'node:crypto';
import type { JobContext } from '../job-definitions/job-handler';

/**
 * The Idempotency-Key of one external step of one job: the same on every re-run of the job
 * (so Stripe replays instead of acting twice), different per tenant (a client's key alone
 * would let two tenants share a PaymentIntent on the one Stripe account) and per step.
 */
export function providerIdempotencyKey(context: Pick<JobContext, 'tenantId' | 'idempotencyKey'>, step: string): string {
  const digest = createHash('sha256').update([context.tenantId, context.idempotencyKey, step].join('\u0000')).digest('hex');
  return `${step}-${digest}`;
}
