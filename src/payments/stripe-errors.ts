import Stripe from 'stripe';
import { JobError, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';

/** Stripe masks keys in its messages; this makes sure no key or secret ever reaches a job's error. */
const SECRET_PATTERN = /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9*]+/g;

export function withoutSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, '[redacted]');
}

/**
 * What a failed Stripe call means for the job:
 * - a card error (402) is permanent, typed by Stripe's code (`card_declined`, `expired_card`…)
 *   with the decline code in the message;
 * - an invalid request (400/404) is permanent, typed by Stripe's code (`amount_too_large`…);
 * - `idempotency_error` is permanent: our key was reused with other parameters, a bug to report,
 *   never to retry blindly;
 * - authentication and permission errors are permanent (configuration, not the moment);
 * - rate limits, connection errors, timeouts, 409 (the same key in flight) and 5xx are transient.
 */
export function mapStripeError(error: unknown): JobError | unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const message = withoutSecrets(error.message ?? 'Stripe error');
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new PermanentJobError('idempotency_error', `Stripe refused a reused Idempotency-Key with other parameters (a bug): ${message}`);
  }
  if (error instanceof Stripe.errors.StripeCardError) {
    const declineCode = error.decline_code ? ` (decline code: ${error.decline_code})` : '';
    return new PermanentJobError(error.code ?? 'card_error', `${message}${declineCode}`);
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return new TransientJobError('rate_limited', message);
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    return new PermanentJobError(error.code ?? 'invalid_request', message);
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return new PermanentJobError('provider_auth_failed', message);
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    const timedOut = /timeout/i.test(message);
    return new TransientJobError(timedOut ? 'provider_timeout' : 'network_error', message);
  }
  const status = error.statusCode ?? 0;
  if (status === 409) return new TransientJobError('provider_busy', message);
  // 504: a proxy in front of Stripe gave up waiting; the request may or may not have run, and the key makes a retry safe.
  if (status === 504) return new TransientJobError('provider_timeout', message);
  if (status >= 500 || status === 0) return new TransientJobError('provider_unavailable', message);
  return new PermanentJobError('provider_rejected', message);
}
