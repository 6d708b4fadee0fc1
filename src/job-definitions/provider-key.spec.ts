import { providerKeyFor } from './provider-key';

describe('providerKeyFor', () => {
  const job = { tenantId: 'tenant-a', jobId: '0b6c8f4e-2f0a-4d7e-9b1a-3c5d7e9f1a2b' };

  it('is stable for one job and step, and differs by tenant, job and step', () => {
    expect(providerKeyFor(job, 'payment_intent_created')).toBe(providerKeyFor({ ...job }, 'payment_intent_created'));
    const keys = [
      providerKeyFor(job, 'payment_intent_created'),
      providerKeyFor({ ...job, tenantId: 'tenant-b' }, 'payment_intent_created'),
      providerKeyFor({ ...job, jobId: '5d0e1c1a-9a57-4f0b-8f54-0f1e2d3c4b5a' }, 'payment_intent_created'),
      providerKeyFor(job, 'payment_intent_confirmed'),
    ];
    expect(new Set(keys).size).toBe(4);
  });

  it('shows neither tenant nor job, and fits Stripe (255 characters at most)', () => {
    const key = providerKeyFor(job, 'payment_intent_created');
    expect(key).toMatch(/^payment_intent_created-[0-9a-f]{64}$/);
    expect(key).not.toContain(job.tenantId);
    expect(key).not.toContain(job.jobId);
  });

  it('takes only a constant step name (no client text can reach the key in clear)', () => {
    expect(() => providerKeyFor(job, 'order-7:client-key')).toThrow(/constant name/);
  });
});
