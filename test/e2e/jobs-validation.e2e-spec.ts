import bs58 from 'bs58';
import { randomUUID } from 'node:crypto';
import type { ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { expectErrorBody, fieldsOf } from '../support/error-body';
import { QUEUE_OF } from '../support/expected-jobs';
import { auth, getJob, submit, tenantJobCount } from '../support/job-requests';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

describe('Jobs', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(async () => {
    await test?.close();
  });

  describe('validation (400)', () => {
    const payment = VALID_PAYLOADS['payment-process'];
    const mint = VALID_PAYLOADS['nft-mint'] as { metadata: object };

    it.each<[string, object, string[]]>([
      ['an unknown type', { type: 'teleport', data: {} }, ['type']],
      ['no type', { data: payment }, ['type']],
      ['no data', { type: 'payment-process' }, ['data']],
      ['data that is no object', { type: 'payment-process', data: 'ord_1' }, ['data']],
      ['an unknown top-level property', { type: 'payment-process', data: payment, priority: 'high' }, ['priority']],
      ['a missing amount and a bad currency', { type: 'payment-process', data: { ...payment, amount: undefined, currency: 'usdx' } }, ['data.amount', 'data.currency']],
      ['an extra property in data', { type: 'payment-process', data: { ...payment, x: 1 } }, ['data.x']],
      ['an amount over 100000000', { type: 'payment-process', data: { ...payment, amount: 100_000_001 } }, ['data.amount']],
      ['a non-integer amount', { type: 'payment-process', data: { ...payment, amount: 25.5 } }, ['data.amount']],
      ['an amount as a string', { type: 'payment-process', data: { ...payment, amount: '2500' } }, ['data.amount']],
      ['a zero amount', { type: 'payment-process', data: { ...payment, amount: 0 } }, ['data.amount']],
      ['too long an nft name', { type: 'nft-mint', data: { ...mint, metadata: { ...mint.metadata, name: 'n'.repeat(33) } } }, ['data.metadata.name']],
      ['an extra nft metadata property', { type: 'nft-mint', data: { ...mint, metadata: { ...mint.metadata, extra: 1 } } }, ['data.metadata.extra']],
      ['a wallet that is not base58', { type: 'nft-mint', data: { ...mint, recipientWallet: '0OIl-not-a-wallet' } }, ['data.recipientWallet']],
      ['a base58 wallet of the wrong length', { type: 'nft-transfer', data: { ...VALID_PAYLOADS['nft-transfer'], toWallet: bs58.encode(Buffer.alloc(31, 9)) } }, ['data.toWallet']],
      ['a phone number that is not E.164', { type: 'sms-send', data: { to: '415-555-0123', body: 'hi' } }, ['data.to']],
      ['a bad e-mail address', { type: 'email-send', data: { ...VALID_PAYLOADS['email-send'], to: 'not-an-email' } }, ['data.to']],
      ['an unknown refund reason', { type: 'refund-process', data: { ...VALID_PAYLOADS['refund-process'], reason: 'changed_mind' } }, ['data.reason']],
      ['a bad priority', { type: 'payment-process', data: payment, options: { priority: 'urgent' } }, ['options.priority']],
      ['a negative delay', { type: 'payment-process', data: payment, options: { delay: -1 } }, ['options.delay']],
      ['a fractional delay', { type: 'payment-process', data: payment, options: { delay: 1.5 } }, ['options.delay']],
      ['zero attempts', { type: 'payment-process', data: payment, options: { attempts: 0 } }, ['options.attempts']],
      ['21 attempts', { type: 'payment-process', data: payment, options: { attempts: 21 } }, ['options.attempts']],
      ['an idempotency key with a space', { type: 'payment-process', data: payment, options: { idempotencyKey: 'a b' } }, ['options.idempotencyKey']],
      ['an unknown option', { type: 'payment-process', data: payment, options: { retries: 3 } }, ['options.retries']],
    ])('rejects %s, naming each bad field', async (_case, body, fields) => {
      const tenant = newTenant();
      // The venue admin may submit every type named here: what answers is the validation.
      const response = await submit(test, tenant.venueAdmin, body);
      expectErrorBody(response, 400, 'Bad Request');
      expect(response.body.message).toBe('Validation failed');
      expect(fieldsOf(response)).toEqual([...fields].sort());
      for (const detail of response.body.details) expect(detail.message).toEqual(expect.any(String));
      // Nothing was enqueued or recorded.
      expect(await tenantJobCount(test, tenant.user, QUEUE_OF[(body as { type: JobType }).type] ?? 'money')).toBe(0);
    });

    it('answers a malformed JSON body with a 400 that carries a request id', async () => {
      const tenant = newTenant();
      const response = await test.http()
        .post('/jobs')
        .set(auth(tenant.user))
        .set('Content-Type', 'application/json')
        .send('{"type": "payment-process", "data": {');
      expectErrorBody(response, 400, 'Bad Request');
    });
  });

  describe('GET /jobs/:id', () => {
    it('answers 400 for an id that is no UUID', async () => {
      const response = await getJob(test, newTenant().user, 'not-a-uuid');
      expectErrorBody(response, 400, 'Bad Request');
    });

    it('answers 404 for an id nobody has', async () => {
      const id = randomUUID();
      const response = await getJob(test, newTenant().user, id);
      expectErrorBody(response, 404, 'Not Found');
      expect(response.body.message).toContain(id);
    });
  });
});
