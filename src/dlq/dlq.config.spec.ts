import { DlqConfig } from './dlq.config';

describe('DlqConfig', () => {
  it('keeps entries 30 days unless told otherwise', () => {
    expect(DlqConfig.fromEnvironment({}).retentionDays).toBe(30);
  });

  it('reads DLQ_RETENTION_DAYS as a whole number of days', () => {
    expect(DlqConfig.fromEnvironment({ DLQ_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
  });

  it.each(['0', '-1', '2.5', 'thirty', '99999'])('refuses DLQ_RETENTION_DAYS=%s, naming the variable', (value) => {
    expect(() => DlqConfig.fromEnvironment({ DLQ_RETENTION_DAYS: value })).toThrow(/^Invalid configuration: DLQ_RETENTION_DAYS: /);
  });
});
