import { providerIdempotencyKey } from './provider-idempotency-key';

describe('providerIdempotencyKey', () => {
  const job = { tenantId: 'tenant-a', idempotencyKey: 'order-7' };

  it('is stable for one job and step, and differs by tenant, job key and step', () => {
    expect(providerIdempotencyKey(job, 'payment_intent_created')).toBe(providerIdempotencyKey({ ...job }, 'payment_intent_created'));
    const others = [
      providerIdempotencyKey({ ...job, tenantId: 'tenant-b' }, 'payment_intent_created'),
      providerIdempotencyKey({ ...job, idempotencyKey: 'order-8' }, 'payment_intent_created'),
      providerIdempotencyKey(job, 'payment_intent_confirmed'),
    ];
    expect(new Set([providerIdempotencyKey(job, 'payment_intent_created'), ...others]).size).toBe(4);
  });

  it('never is the client key, and fits Stripe (255 characters at most)', () => {
    const key = providerIdempotencyKey(job, 'payment_intent_created');
    expect(key).not.toContain('order-7');
    expect(key).toMatch(/^payment_intent_created-[0-9a-f]{64}$/);
  });
});
