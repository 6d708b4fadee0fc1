import { Logger } from '@nestjs/common';
import { PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { CircuitBreakers } from './circuit-breakers';
import { ProviderUnavailableError } from './provider-unavailable.error';

describe('CircuitBreakers', () => {
  const resetTimeoutMs = 300;
  let breakers: CircuitBreakers;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    breakers = new CircuitBreakers({
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs, rollingWindowMs: 10_000 },
    });
  });
  afterEach(() => breakers.onApplicationShutdown());

  const failing = (error: Error) => () => Promise.reject(error);
  const outage = () => new TransientJobError('provider_unavailable', 'Stripe answered 503');

  async function openStripe(): Promise<void> {
    for (let call = 0; call < 3; call++) {
      await expect(breakers.run('stripe', failing(outage()))).rejects.toThrow('Stripe answered 503');
    }
  }

  it('passes results and errors through while closed', async () => {
    await expect(breakers.run('stripe', async () => ({ id: 'pi_1' }))).resolves.toEqual({ id: 'pi_1' });
    await expect(breakers.run('stripe', failing(outage()))).rejects.toBeInstanceOf(TransientJobError);
    expect(breakers.getState('stripe')).toMatchObject({ state: 'closed', retryAfterMs: 0, successes: 1, failures: 1 });
  });

  it('opens after the failure threshold and then rejects fast without calling the work', async () => {
    await openStripe();
    expect(breakers.getState('stripe')).toMatchObject({ state: 'open', failures: 3 });

    const work = jest.fn(async () => 'charged');
    const startedAt = Date.now();
    const rejection = await breakers.run('stripe', work).catch((error: unknown) => error);
    expect(Date.now() - startedAt).toBeLessThan(50);
    expect(work).not.toHaveBeenCalled();
    expect(rejection).toBeInstanceOf(ProviderUnavailableError);
    const { provider, retryAfterMs, permanent } = rejection as ProviderUnavailableError;
    expect({ provider, permanent }).toEqual({ provider: 'stripe', permanent: false });
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(resetTimeoutMs);
    // Other providers have breakers of their own.
    await expect(breakers.run('twilio', async () => 'sent')).resolves.toBe('sent');
  });

  it('half-opens after resetTimeout and closes when the probe succeeds', async () => {
    await openStripe();
    await sleep(resetTimeoutMs + 50);
    expect(breakers.getState('stripe')).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    await expect(breakers.run('stripe', async () => 'probe ok')).resolves.toBe('probe ok');
    expect(breakers.getState('stripe').state).toBe('closed');
    await expect(breakers.run('stripe', async () => 'next')).resolves.toBe('next');
  });

  it('opens again for a full resetTimeout when the probe fails', async () => {
    await openStripe();
    await sleep(resetTimeoutMs + 50);
    await expect(breakers.run('stripe', failing(outage()))).rejects.toBeInstanceOf(TransientJobError);
    expect(breakers.getState('stripe').state).toBe('open');
    const rejection = (await breakers.run('stripe', async () => 'x').catch((error: unknown) => error)) as ProviderUnavailableError;
    expect(rejection.retryAfterMs).toBeGreaterThan(resetTimeoutMs - 50);
  });

  it('lets permanent errors through without counting them against the provider', async () => {
    for (let call = 0; call < 10; call++) {
      const declined = new PermanentJobError('card_declined', 'Your card was declined');
      await expect(breakers.run('stripe', failing(declined))).rejects.toBe(declined);
    }
    expect(breakers.getState('stripe')).toMatchObject({ state: 'closed', failures: 0 });
    await expect(breakers.run('stripe', async () => 'ok')).resolves.toBe('ok');
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
