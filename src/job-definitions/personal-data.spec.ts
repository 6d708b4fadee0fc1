import { JOB_TYPE_NAMES, JobType } from './job-types';
import { PERSONAL_DATA_FIELDS, REDACTED, redactPersonalData } from './personal-data';

describe('personal data of job types', () => {
  it('lists every job type', () => {
    expect(Object.keys(PERSONAL_DATA_FIELDS).sort()).toEqual([...JOB_TYPE_NAMES].sort());
  });

  it('replaces the listed fields that are present and names them, keeping the rest', () => {
    const data = { orderId: 'ord_1', amount: 2500, currency: 'usd', paymentMethodId: 'pm_card_visa', customerEmail: 'fan@example.com' };
    const redacted = redactPersonalData('payment-process', data, { paymentIntentId: 'pi_1' });
    expect(redacted).toEqual({
      data: { orderId: 'ord_1', amount: 2500, currency: 'usd', paymentMethodId: REDACTED, customerEmail: REDACTED },
      result: { paymentIntentId: 'pi_1' },
      redactedFields: ['data.paymentMethodId', 'data.customerEmail'],
    });
    // The job's own copy is untouched.
    expect(data.customerEmail).toBe('fan@example.com');
  });

  it.each<[JobType, Record<string, unknown>, unknown, string[]]>([
    ['sms-send', { to: '+14155550123', body: 'Your code is 123456' }, { messageSid: 'SM1' }, ['data.to', 'data.body']],
    ['email-send', { to: 'fan@example.com', template: 'generic', data: { name: 'Alice' } }, null, ['data.to', 'data.data']],
    ['nft-mint', { ticketId: 't', recipientWallet: 'W', recipientEmail: 'a@b.co' }, null, ['data.recipientWallet', 'data.recipientEmail']],
    ['nft-transfer', { ticketId: 't', mintAddress: 'M', toWallet: 'W' }, { toWallet: 'W', signature: 's' }, ['data.toWallet', 'result.toWallet']],
    ['refund-process', { paymentIntentId: 'pi_1', orderId: 'o', customerEmail: 'a@b.co' }, null, ['data.customerEmail']],
    ['analytics-process', { event: 'e', properties: { userId: 'u' } }, null, ['data.properties']],
    ['cleanup', { target: 'all', olderThanDays: 1 }, null, []],
  ])('%s', (type, data, result, fields) => {
    const redacted = redactPersonalData(type, data, result);
    expect(redacted.redactedFields).toEqual(fields);
    for (const field of fields) {
      const [part, name] = field.split('.');
      const holder = (part === 'data' ? redacted.data : redacted.result) as Record<string, unknown>;
      expect(holder[name]).toBe(REDACTED);
    }
    expect(JSON.stringify(redacted)).not.toMatch(/fan@example|\+1415|123456|Alice|a@b\.co|userId/);
  });

  it('redacts every field of a type it does not know', () => {
    const redacted = redactPersonalData('gone-type' as JobType, { to: 'x', n: 1 }, { y: 2 });
    expect(redacted).toEqual({ data: { to: REDACTED, n: REDACTED }, result: { y: REDACTED }, redactedFields: ['data.to', 'data.n', 'result.y'] });
  });
});
