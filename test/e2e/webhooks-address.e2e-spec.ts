import { SystemSubmissions } from '../../src/jobs/system-submissions';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { createEndpoint, deliveriesOf, finishedFollowUpsOf } from '../support/webhook-requests';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Deliveries to internal addresses are refused after DNS, before any connection. This app runs
 * without WEBHOOK_ALLOW_LOOPBACK, as production does. No test here may send traffic anywhere but
 * loopback: the private addresses below are refused by the check, never contacted.
 */
describe('Webhook endpoints on loopback, private or link-local addresses', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test.close());

  async function deliverOnce(tenant: ReturnType<typeof newTenant>, url: string) {
    const endpoint = await createEndpoint(test, tenant.admin, url, ['payment.completed']);
    const { jobId } = await test.app.get(SystemSubmissions).submit({
      tenantId: tenant.tenantId, origin: 'system', type: 'webhook-event', data: { event: 'payment.completed', body: { orderId: 'ord_ssrf' } },
    });
    const [delivery] = await finishedFollowUpsOf(test, jobId);
    return { endpoint, delivery };
  }

  it.each([
    ['a private address', 'http://10.0.0.1/hooks', 'private'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data', 'link-local'],
    ['a private IPv6 address', 'http://[fd00::1]/hooks', 'private'],
  ])('an endpoint on %s is accepted outside production but its delivery is refused for good before connecting', async (_what, url, kind) => {
    const tenant = newTenant();
    const { endpoint, delivery } = await deliverOnce(tenant, url);

    // webhook_address_refused is answered only by the check that runs before a connection is opened.
    expect(delivery).toMatchObject({
      status: 'failed', attempts: 1,
      error: { type: 'webhook_address_refused', permanent: true, message: `The receiver's host resolves to a ${kind} address, which webhooks may not reach` },
    });
    expect((await deliveriesOf(test, tenant.admin, endpoint.id)).items).toMatchObject([
      { attempt: 1, status: 'failed', responseCode: null, error: expect.stringMatching(/^webhook_address_refused: /) },
    ]);
  });

  it.each([
    ['a host name that resolves to 127.0.0.1', 'localhost'],
    ['the loopback address itself', '127.0.0.1'],
  ])('%s is refused without WEBHOOK_ALLOW_LOOPBACK, and the receiver there sees no connection', async (_what, host) => {
    const receiver = await WebhookReceiver.start();
    try {
      const tenant = newTenant();
      const { delivery } = await deliverOnce(tenant, receiver.url(host));

      expect(delivery).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'webhook_address_refused', permanent: true } });
      expect(delivery.error?.message).toContain('loopback');
      expect(receiver.connections).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});
