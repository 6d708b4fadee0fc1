import { storableText } from '../common/validation/storable';

/**
 * Errors a handler or gateway throws to say how a failure should be treated.
 * Permanent errors fail the job at once (no further attempts) and dead-letter it;
 * transient ones are retried by the job type's strategy.
 */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = permanent ? 'PermanentJobError' : 'TransientJobError';
  }
}

export class PermanentJobError extends JobError {
  constructor(code: string, message: string) {
    super(code, message, true);
  }
}

export class TransientJobError extends JobError {
  constructor(code: string, message: string) {
    super(code, message, false);
  }
}

/**
 * Not a failure: the job cannot run yet (no provider token, breaker open, another worker's
 * lease). It goes back to the delayed set for `delayMs` without using an attempt.
 */
export class JobDeferral extends Error {
  constructor(
    readonly reason: string,
    readonly delayMs: number,
  ) {
    super(`Deferred for ${delayMs} ms: ${reason}`);
    this.name = 'JobDeferral';
  }
}

/** This worker's claim was superseded by a newer attempt; it must write nothing more. */
export class StaleAttemptError extends Error {
  constructor(jobId: string) {
    super(`Job ${jobId} was claimed by a newer attempt; this attempt stops here`);
    this.name = 'StaleAttemptError';
  }
}

export class JobCancelledError extends PermanentJobError {
  constructor() {
    super('cancelled', 'Job was cancelled');
  }
}

/** Bull delivered a job whose record says it is already over (failed or cancelled): nothing to do. */
export class JobAlreadyFinishedError extends Error {
  constructor(jobId: string, status: string) {
    super(`Job ${jobId} is already ${status}`);
    this.name = 'JobAlreadyFinishedError';
  }
}

export interface ClassifiedError {
  type: string;
  message: string;
  permanent: boolean;
}

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** Longest error message kept (in the record, the dead-letter entry, events): providers' messages can be anything. */
export const MAX_ERROR_MESSAGE_LENGTH = 2000;

/**
 * How a failure is treated, with a type and message that are always storable (no NUL, no lone
 * surrogate, bounded): a provider's message with a NUL must not stop the failure being recorded.
 */
export function classifyError(error: unknown): ClassifiedError {
  const classified = classifyRaw(error);
  return {
    ...classified,
    type: storableText(classified.type, 100),
    message: storableText(classified.message, MAX_ERROR_MESSAGE_LENGTH),
  };
}

function classifyRaw(error: unknown): ClassifiedError {
  if (error instanceof JobError) {
    return { type: error.code, message: error.message, permanent: error.permanent };
  }
  const message = error instanceof Error ? error.message : String(error);
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) {
    return { type: 'network_error', message, permanent: false };
  }
  if (typeof statusCode === 'number') {
    if (statusCode === 429) return { type: 'rate_limited', message, permanent: false };
    // 408: the request timed out; 409: Stripe's answer while a request with the same idempotency key is in flight.
    if (statusCode === 408 || statusCode === 409) return { type: 'provider_busy', message, permanent: false };
    if (statusCode >= 500) return { type: 'provider_unavailable', message, permanent: false };
    if (statusCode >= 400) return { type: 'provider_rejected', message, permanent: true };
  }
  // Unknown errors are retried: a bug costs a few attempts, a wrongly permanent outage costs a payment.
  return { type: 'unexpected_error', message, permanent: false };
}

export function isPermanent(error: unknown): boolean {
  return classifyError(error).permanent;
}
