import { AppConfig } from './app-config';
import { InvalidEnvironmentError, validateEnvironment } from './environment';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('validateEnvironment accepted an invalid environment');
}

describe('database session limits and DLQ export slots', () => {
  it('defaults to 30 s statements, 60 s idle transactions, a 15 s export cut-off and exports well inside the pool', () => {
    const config = new AppConfig(validateEnvironment({}));
    expect(config.database).toMatchObject({ poolSize: 10, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 });
    expect(config.dlqExport).toEqual({ idleTimeoutMs: 15_000, maxConcurrent: 2, maxPerTenant: 1 });
  });

  it('derives the export cap from the pool when it is not set, never below one', () => {
    expect(new AppConfig(validateEnvironment({ DATABASE_POOL_SIZE: '40' })).dlqExport.maxConcurrent).toBe(10);
    expect(new AppConfig(validateEnvironment({ DATABASE_POOL_SIZE: '3' })).dlqExport.maxConcurrent).toBe(1);
  });

  it('reads every value typed from strings', () => {
    const config = new AppConfig(validateEnvironment({
      DATABASE_POOL_SIZE: '12', DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '9000',
      DLQ_EXPORT_IDLE_TIMEOUT_MS: '3000', DLQ_EXPORT_MAX_CONCURRENT: '6', DLQ_EXPORT_MAX_PER_TENANT: '2',
    }));
    expect(config.database).toMatchObject({ statementTimeoutMs: 5_000, idleInTransactionTimeoutMs: 9_000 });
    expect(config.dlqExport).toEqual({ idleTimeoutMs: 3_000, maxConcurrent: 6, maxPerTenant: 2 });
  });

  it('refuses an export cap above half the pool: exports may not take what job processing needs', () => {
    expect(problemsOf({ DATABASE_POOL_SIZE: '10', DLQ_EXPORT_MAX_CONCURRENT: '6' }))
      .toEqual([expect.stringMatching(/^DLQ_EXPORT_MAX_CONCURRENT \(6\) must be at most half of DATABASE_POOL_SIZE \(10\)/)]);
    expect(problemsOf({ DATABASE_POOL_SIZE: '1' })).toEqual([expect.stringMatching(/^DLQ_EXPORT_MAX_CONCURRENT \(1\)/)]);
  });

  it('refuses a per-tenant cap above the overall one', () => {
    expect(problemsOf({ DLQ_EXPORT_MAX_CONCURRENT: '2', DLQ_EXPORT_MAX_PER_TENANT: '3' }))
      .toEqual(['DLQ_EXPORT_MAX_PER_TENANT (3) must not exceed DLQ_EXPORT_MAX_CONCURRENT (2)']);
  });

  it('refuses an export cut-off that PostgreSQL would reach first, and out-of-range timeouts', () => {
    expect(problemsOf({ DLQ_EXPORT_IDLE_TIMEOUT_MS: '60000' }))
      .toEqual(['DLQ_EXPORT_IDLE_TIMEOUT_MS: DLQ_EXPORT_IDLE_TIMEOUT_MS must be less than DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS']);
    const names = problemsOf({
      DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 'soon', DLQ_EXPORT_MAX_PER_TENANT: '0',
    }).map((problem) => problem.split(':')[0]).sort();
    expect(names).toEqual(['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 'DATABASE_STATEMENT_TIMEOUT_MS', 'DLQ_EXPORT_MAX_PER_TENANT']);
  });
});
