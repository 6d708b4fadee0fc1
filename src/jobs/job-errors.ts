/**
 * Errors a handler or gateway throws to say how a failure should be treated.
 * Permanent errors fail the job at once (no further attempts) and dead-letter it;
 * transient ones are retried by the job's strategy. Unknown errors count as transient.
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

export interface ClassifiedError {
  type: string;
  message: string;
  permanent: boolean;
}

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof JobError) {
    return { type: error.code, message: error.message, permanent: error.permanent };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'unexpected_error', message, permanent: false };
}
