import type { ClientJobType } from '../../src/job-definitions/job-types';

/** Two well-known valid base58 public keys (the system program is all ones). */
export const WALLET = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
export const OTHER_WALLET = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';

/** A valid `data` for every job type: each runs to completion in the sandbox. */
export const VALID_PAYLOADS: Record<ClientJobType, Record<string, unknown>> = {
  'payment-process': { orderId: 'ord_1', amount: 2500, currency: 'usd', paymentMethodId: 'pm_card_visa' },
  'refund-process': { paymentIntentId: 'pi_123', orderId: 'ord_1', amount: 1000, reason: 'requested_by_customer' },
  'nft-mint': {
    ticketId: 'tkt_42',
    recipientWallet: WALLET,
    metadata: { name: 'Main Stage GA #42', symbol: 'TIX', uri: 'https://example.com/t/42.json' },
  },
  'nft-transfer': { ticketId: 'tkt_42', mintAddress: OTHER_WALLET, toWallet: WALLET },
  'email-send': { to: 'fan@example.com', template: 'payment-confirmation', data: { orderId: 'ord_1' } },
  'sms-send': { to: '+14155550123', body: 'Your tickets are ready' },
  'analytics-process': { event: 'ticket.scanned', properties: { gate: 'A' } },
  cleanup: { target: 'all', olderThanDays: 30 },
  'scheduled-task': { task: 'queue-metrics-snapshot' },
};

/** The valid payment data with some fields changed, e.g. `{ orderId }` for a distinct payment. */
export const paymentData = (overrides: Record<string, unknown> = {}) => ({ ...VALID_PAYLOADS['payment-process'], ...overrides });

/** A `POST /jobs` body for a payment with some of its data changed. */
export const paymentJob = (overrides: Record<string, unknown> = {}) => ({ type: 'payment-process', data: paymentData(overrides) });

/** A card the sandbox and the Stripe fake decline: the payment fails for good on its first attempt. */
export const DECLINED_PAYMENT = paymentData({ paymentMethodId: 'pm_card_chargeDeclined' });
