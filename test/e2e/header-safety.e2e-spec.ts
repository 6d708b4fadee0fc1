import { expectErrorBody, fieldsOf } from '../support/error-body';
import { auth, submit } from '../support/job-requests';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Headers a client can shape: X-Request-Id and the e-mail subject', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test?.close());

  it.each(['a', 'req-12345678', 'trace:4bf92f3577b34da6.span_00f067aa0ba902b7', 'x'.repeat(128)])('keeps the X-Request-Id %s', async (id) => {
    const response = await test.http().get('/queues').set('X-Request-Id', id).expect(401);
    expect(response.headers['x-request-id']).toBe(id);
    expect(response.body.requestId).toBe(id);
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'req 1'],
    ['markup', '<script>alert(1)</script>'],
    ['a JSON fragment', '","level":60,"msg":"forged'],
    ['a percent-encoded line break', 'req%0d%0aSet-Cookie:x=1'],
    ['non-ASCII letters', 'réq-1'],
    ['a tab', 'req\t1'],
    ['nothing but a slash', '/'],
  ])('replaces an X-Request-Id with %s by a fresh one', async (_case, id) => {
    const response = await test.http().get('/queues').set('X-Request-Id', id).expect(401);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
  });

  it('gives a request without one a fresh id, different each time', async () => {
    const [first, second] = await Promise.all([test.http().get('/queues'), test.http().get('/queues')]);
    expect(first.headers['x-request-id']).toMatch(UUID);
    expect(second.headers['x-request-id']).toMatch(UUID);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });

  it.each([
    ['CR LF, subject and body', { to: 'fan@example.com', subject: 'Hi\r\nBcc: victim@elsewhere.example', body: 'Hello' }],
    ['a lone LF', { to: 'fan@example.com', subject: 'Hi\nBcc: victim@elsewhere.example', body: 'Hello' }],
    ['a lone CR', { to: 'fan@example.com', subject: 'Hi\rBcc: victim@elsewhere.example', body: 'Hello' }],
    ['CR LF with a template', { to: 'fan@example.com', template: 'generic', data: {}, subject: 'Hi\r\nX-Evil: 1' }],
  ])('refuses an e-mail subject with %s: 400 naming data.subject, nothing queued', async (_case, data) => {
    const tenant = newTenant();
    const response = await submit(test, tenant.user, { type: 'email-send', data });
    expectErrorBody(response, 400, 'Bad Request');
    expect(fieldsOf(response)).toEqual(['data.subject']);
    expect(response.body.details[0].message).toMatch(/single line/);
    const listed = await test.http().get('/queues/communication/jobs').set(auth(tenant.user)).expect(200);
    expect(listed.body.total).toBe(0);
  });
});
