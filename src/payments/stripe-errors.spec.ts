import Stripe from 'stripe';
import { mapStripeError } from './stripe-errors';

const raw = (fields: Record<string, unknown>) => ({ message: 'm', ...fields }) as never;

describe('mapStripeError', () => {
  it.each([
    ['a card error: permanent, typed by its code, decline code in the message', new Stripe.errors.StripeCardError(raw({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' })), { code: 'card_declined', permanent: true, message: 'Your card has insufficient funds. (decline code: insufficient_funds)' }],
    ['an invalid request: permanent, typed by its code', new Stripe.errors.StripeInvalidRequestError(raw({ code: 'amount_too_large', statusCode: 400 })), { code: 'amount_too_large', permanent: true }],
    ['an idempotency error: permanent', new Stripe.errors.StripeIdempotencyError(raw({ type: 'idempotency_error', statusCode: 400 })), { code: 'idempotency_error', permanent: true }],
    ['a rate limit: transient', new Stripe.errors.StripeRateLimitError(raw({ statusCode: 429 })), { code: 'rate_limited', permanent: false }],
    ['a timeout: transient', new Stripe.errors.StripeConnectionError(raw({ message: 'Request aborted due to timeout being reached (1000ms)' })), { code: 'provider_timeout', permanent: false }],
    ['a connection error: transient', new Stripe.errors.StripeConnectionError(raw({ message: 'An error occurred with our connection to Stripe.' })), { code: 'network_error', permanent: false }],
    ['a 500: transient', new Stripe.errors.StripeAPIError(raw({ statusCode: 500 })), { code: 'provider_unavailable', permanent: false }],
    ['a 409 (the key in flight): transient', new Stripe.errors.StripeAPIError(raw({ statusCode: 409 })), { code: 'provider_busy', permanent: false }],
    ['a bad API key: permanent', new Stripe.errors.StripeAuthenticationError(raw({ statusCode: 401 })), { code: 'provider_auth_failed', permanent: true }],
  ])('%s', (_name, error, expected) => {
    expect(mapStripeError(error)).toMatchObject(expected);
  });

  it('never lets a key or secret through in a message', () => {
    const error = new Stripe.errors.StripeAuthenticationError(raw({ statusCode: 401, message: 'Invalid API Key provided: sk_live_abc123 (whsec_zz9)' }));
    expect((mapStripeError(error) as Error).message).toBe('Invalid API Key provided: [redacted] ([redacted])');
  });

  it('leaves an error that is not Stripe\'s to the runner\'s classification', () => {
    const error = new Error('boom');
    expect(mapStripeError(error)).toBe(error);
  });
});
