import {
  classifyError, isPermanent, JobCancelledError, JobError, PermanentJobError, TransientJobError,
} from './job-errors';

describe('job errors', () => {
  it('a PermanentJobError is a permanent JobError with its code', () => {
    const error = new PermanentJobError('card_declined', 'Your card was declined.');
    expect(error).toBeInstanceOf(JobError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'card_declined', message: 'Your card was declined.', permanent: true, name: 'PermanentJobError' });
  });

  it('a TransientJobError is a transient JobError with its code', () => {
    const error = new TransientJobError('provider_timeout', 'Stripe did not answer');
    expect(error).toBeInstanceOf(JobError);
    expect(error).toMatchObject({ code: 'provider_timeout', message: 'Stripe did not answer', permanent: false, name: 'TransientJobError' });
  });
});

describe('classifyError', () => {
  it('keeps the code of a permanent error and says it is permanent', () => {
    expect(classifyError(new PermanentJobError('card_declined', 'Your card was declined.'))).toEqual({
      type: 'card_declined',
      message: 'Your card was declined.',
      permanent: true,
    });
  });

  it('keeps the code of a transient error and says it is not permanent', () => {
    expect(classifyError(new TransientJobError('rate_limited', 'Too many requests'))).toEqual({
      type: 'rate_limited',
      message: 'Too many requests',
      permanent: false,
    });
  });

  it('honours a JobError built directly', () => {
    expect(classifyError(new JobError('invalid_wallet', 'No such wallet', true))).toEqual({
      type: 'invalid_wallet',
      message: 'No such wallet',
      permanent: true,
    });
  });

  it('counts an unknown Error as transient and unexpected', () => {
    expect(classifyError(new TypeError('x is undefined'))).toEqual({
      type: 'unexpected_error',
      message: 'x is undefined',
      permanent: false,
    });
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
  ])('counts a thrown %s as transient and unexpected', (_case, thrown, message) => {
    expect(classifyError(thrown)).toEqual({ type: 'unexpected_error', message, permanent: false });
  });

  it('counts a cancellation as permanent', () => {
    expect(classifyError(new JobCancelledError())).toEqual({ type: 'cancelled', message: 'Job was cancelled', permanent: true });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET'])(
    'counts a network failure (%s) as transient',
    (code) => {
      const error = Object.assign(new Error(`connect ${code}`), { code });
      expect(classifyError(error)).toEqual({ type: 'network_error', message: `connect ${code}`, permanent: false });
    },
  );

  it('does not mistake other error codes for network failures', () => {
    expect(classifyError(Object.assign(new Error('bad'), { code: 'ERR_INVALID_ARG_TYPE' }))).toMatchObject({
      type: 'unexpected_error',
      permanent: false,
    });
  });

  it.each<[number, string, boolean]>([
    [429, 'rate_limited', false],
    [500, 'provider_unavailable', false],
    [502, 'provider_unavailable', false],
    [503, 'provider_unavailable', false],
    [400, 'provider_rejected', true],
    [401, 'provider_rejected', true],
    [402, 'provider_rejected', true],
    [404, 'provider_rejected', true],
  ])('classifies a provider answer with status %i as %s', (statusCode, type, permanent) => {
    const error = Object.assign(new Error(`HTTP ${statusCode}`), { statusCode });
    expect(classifyError(error)).toEqual({ type, message: `HTTP ${statusCode}`, permanent });
    expect(isPermanent(error)).toBe(permanent);
  });

  it.each([
    [408, 'request timeout: the provider gave up waiting; the same request can succeed'],
    [409, 'conflict: Stripe answers 409 to a concurrent request with the same idempotency key, and asks for a retry'],
  ])('counts a provider answer with status %i as transient (%s)', (statusCode) => {
    const error = Object.assign(new Error(`HTTP ${statusCode}`), { statusCode });
    expect(classifyError(error).permanent).toBe(false);
  });

  it('ignores a statusCode that is not a number', () => {
    expect(classifyError(Object.assign(new Error('odd'), { statusCode: '400' }))).toMatchObject({ type: 'unexpected_error', permanent: false });
  });

  it('never exposes a stack trace', () => {
    const classified = classifyError(new Error('with a stack'));
    expect(Object.keys(classified).sort()).toEqual(['message', 'permanent', 'type']);
  });
});
