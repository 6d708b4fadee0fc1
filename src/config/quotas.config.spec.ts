import { parseQuotaOverrides, QuotaConfig } from './quotas.config';
import { InvalidEnvironmentError, validateEnvironment } from './environment';

describe('QuotaConfig', () => {
  const env = { TENANT_MAX_WAITING_JOBS: 10, TENANT_MAX_REDIS_BYTES: 4096, TENANT_QUOTA_SWEEP_INTERVAL_MS: 1000 };

  it('answers a tenant\'s override, else the defaults', () => {
    const config = new QuotaConfig({ ...env, TENANT_QUOTA_OVERRIDES: 'tenant-a=500/1048576, tenant_b=1/1024' });
    expect(config.limitsFor('tenant-a')).toEqual({ maxWaitingJobs: 500, maxRedisBytes: 1_048_576 });
    expect(config.limitsFor('tenant_b')).toEqual({ maxWaitingJobs: 1, maxRedisBytes: 1024 });
    expect(config.limitsFor('other')).toEqual({ maxWaitingJobs: 10, maxRedisBytes: 4096 });
  });

  it.each(['tenant-a=500', 'tenant-a=0/1024', 'tenant a=1/1', '=1/1', 'tenant-a=1/1024/3'])('refuses the override %p', (raw) => {
    expect(() => parseQuotaOverrides(raw)).toThrow('item 1 must be');
  });

  it('is validated with the environment, naming the variable and defaulting the limits', () => {
    expect(validateEnvironment({})).toMatchObject({ TENANT_MAX_WAITING_JOBS: 100_000, TENANT_MAX_REDIS_BYTES: 256 * 1024 * 1024 });
    const attempt = () => validateEnvironment({ TENANT_QUOTA_OVERRIDES: 'x=1/1,nonsense', TENANT_MAX_WAITING_JOBS: '0' });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(/TENANT_QUOTA_OVERRIDES: item 2 must be/);
    expect(attempt).toThrow(/TENANT_MAX_WAITING_JOBS/);
  });
});
