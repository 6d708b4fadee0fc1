import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/environment';
import { providerKeyFor } from '../job-definitions/provider-key';
import { DisabledPaymentGateway } from './disabled-payment.gateway';
import { paymentGatewayFor } from './payments.module';
import { SandboxPaymentGateway } from './sandbox-payment.gateway';
import { StripePaymentGateway } from './stripe-payment.gateway';

const configOf = (env: Record<string, string>) => new AppConfig(validateEnvironment({ NODE_ENV: 'development', ...env }));
const key = (jobId: string) => providerKeyFor({ tenantId: 'tenant-a', jobId }, 'test_step');
const LIVE = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123', STRIPE_API_BASE_URL: 'http://127.0.0.1:12111' };

describe('the payment gateway of each Stripe mode', () => {
  it('live with credentials, sandbox without, disabled by PROVIDERS_DISABLED', () => {
    expect(paymentGatewayFor(configOf(LIVE))).toBeInstanceOf(StripePaymentGateway);
    expect(paymentGatewayFor(configOf({}))).toBeInstanceOf(SandboxPaymentGateway);
    expect(paymentGatewayFor(configOf({ ...LIVE, PROVIDERS_DISABLED: 'stripe' }))).toBeInstanceOf(DisabledPaymentGateway);
  });

  it('a disabled gateway fails every call for good as provider_disabled', async () => {
    const gateway = paymentGatewayFor(configOf({ PROVIDERS_DISABLED: 'stripe' }));
    await expect(gateway.createPaymentIntent({ amount: 1, currency: 'usd', paymentMethodId: 'pm_card_visa' }, key('k'))).rejects.toMatchObject({ code: 'provider_disabled', permanent: true });
    await expect(gateway.createRefund({ paymentIntentId: 'pi_1' }, key('k'))).rejects.toMatchObject({ code: 'provider_disabled', permanent: true });
  });

  it('the sandbox declines, asks for 3-D Secure and refuses an over-refund like Stripe test mode', async () => {
    const sandbox = new SandboxPaymentGateway();
    const declined = await sandbox.createPaymentIntent({ amount: 100, currency: 'usd', paymentMethodId: 'pm_card_chargeDeclined' }, key('a'));
    await expect(sandbox.confirmPaymentIntent(declined.paymentIntentId)).rejects.toMatchObject({ code: 'card_declined', permanent: true });
    await expect(sandbox.confirmPaymentIntent(declined.paymentIntentId)).rejects.toMatchObject({ code: 'card_declined' });
    const threeDs = await sandbox.createPaymentIntent({ amount: 100, currency: 'usd', paymentMethodId: 'pm_card_authenticationRequired' }, key('b'));
    expect(await sandbox.confirmPaymentIntent(threeDs.paymentIntentId)).toMatchObject({ status: 'requires_action', nextActionType: 'use_stripe_sdk' });
    const paid = await sandbox.createPaymentIntent({ amount: 100, currency: 'usd', paymentMethodId: 'pm_card_visa' }, key('c'));
    expect(await sandbox.confirmPaymentIntent(paid.paymentIntentId)).toMatchObject({ status: 'succeeded' });
    expect(await sandbox.createRefund({ paymentIntentId: paid.paymentIntentId, amount: 60 }, key('r1'))).toMatchObject({ amount: 60 });
    await expect(sandbox.createRefund({ paymentIntentId: paid.paymentIntentId, amount: 41 }, key('r2'))).rejects.toMatchObject({ code: 'amount_too_large', permanent: true });
  });

  it('the sandbox answers whose an intent is and what is left of it, and knows no intent it did not create', async () => {
    const sandbox = new SandboxPaymentGateway();
    const paid = await sandbox.createPaymentIntent({ amount: 100, currency: 'usd', paymentMethodId: 'pm_card_visa', metadata: { tenantId: 'tenant-a' } }, key('p'));
    await sandbox.confirmPaymentIntent(paid.paymentIntentId);
    await sandbox.createRefund({ paymentIntentId: paid.paymentIntentId, amount: 30 }, key('r'));
    expect(await sandbox.getRefundablePayment(paid.paymentIntentId)).toEqual({
      paymentIntentId: paid.paymentIntentId, status: 'succeeded', amountReceived: 100, amountRefunded: 30, tenantId: 'tenant-a',
    });
    await expect(sandbox.getRefundablePayment('pi_elsewhere')).rejects.toMatchObject({ code: 'resource_missing', permanent: true });
  });
});
