import pino from 'pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { loggedUrl, scrubbedText, serializeError, serializeRequest, serializeResponse } from './log-serializers';

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  const logger = pino({ serializers: { err: pino.stdSerializers.wrapErrorSerializer(serializeError) } }, sink);
  return { logger, output: () => lines.join('') };
}

describe('log serializers', () => {
  it('keep no parameter, query or driver detail of a failed statement', () => {
    const driverError = Object.assign(new Error('new row for relation "jobs" violates check constraint "refuse_x"'), {
      code: '23514', severity: 'ERROR', table: 'jobs', constraint: 'refuse_x',
      detail: 'Failing row contains (1, {"to": "ada@example.com", "body": "Your code is 918273"}).',
    });
    const error = new QueryFailedError('INSERT INTO jobs VALUES ($1, $2)', ['ada@example.com', '+14155550142'], driverError);
    const { logger, output } = capturingLogger();
    logger.error({ err: error }, 'Unhandled error');
    expect(output()).not.toMatch(/ada@example\.com|14155550142|918273|INSERT INTO/);
    expect(JSON.parse(output()).err).toMatchObject({ type: 'QueryFailedError', code: '23514', table: 'jobs', constraint: 'refuse_x' });
  });

  it('scrub values a database error message quotes, and addresses, numbers and payment ids in any message', () => {
    expect(scrubbedText('invalid input syntax for type uuid: "ada@example.com"', true)).toBe('invalid input syntax for type uuid: "[value]"');
    expect(scrubbedText("The 'To' number +14155550142 is not valid for ada@example.com (pm_card_visa)", false))
      .toBe("The 'To' number [number] is not valid for [email] ([payment-id])");
  });

  it('keep a cause, scrubbed, and nothing a provider error carries besides its code', () => {
    const error = Object.assign(new Error('Card declined for ada@example.com'), { raw: { payment_method: 'pm_123' }, statusCode: 402,
      cause: new Error('upstream said +14155550142') });
    expect(serializeError(pino.stdSerializers.err(error) as never)).toEqual({
      // pino's standard serializer folds the cause into the message and the stack.
      type: 'Error', message: 'Card declined for [email]: upstream said [number]', stack: expect.any(String), statusCode: 402,
    });
  });

  it('log a request without credentials in headers or the query', () => {
    const logged = serializeRequest({
      id: 'r1', method: 'GET', url: '/dlq?limit=5&token=t0k3n&access_token=a1&errorType=card_declined',
      query: { limit: '5', token: 't0k3n', access_token: 'a1', errorType: 'card_declined' },
      headers: { authorization: 'Bearer eyJ.x', 'x-api-key': 'k3y', cookie: 'qs_dashboard=s3ss', 'user-agent': 'curl/8', 'x-request-id': 'abc' },
    });
    expect(JSON.stringify(logged)).not.toMatch(/t0k3n|a1\b|eyJ|k3y|s3ss/);
    expect(logged).toMatchObject({
      url: '/dlq?limit=5&token=[redacted]&access_token=[redacted]&errorType=card_declined',
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]', 'user-agent': 'curl/8', 'x-request-id': 'abc' },
    });
  });

  it('log a response without the cookie it sets', () => {
    expect(serializeResponse({ statusCode: 200, headers: { 'set-cookie': 'qs_dashboard=s3ss', 'content-type': 'application/json' } }))
      .toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' } });
  });

  it('leave a URL without a query as it is', () => {
    expect(loggedUrl('/jobs/3f1c0b7e-4a8e-4f51-9d55-1f0e8e0e2a11')).toBe('/jobs/3f1c0b7e-4a8e-4f51-9d55-1f0e8e0e2a11');
  });
});
