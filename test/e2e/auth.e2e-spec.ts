import { randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { TEST_JWT_SECRET } from '../support/test-env';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';

describe('Authentication and roles', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test.close());

  const unsigned = (claims: object) =>
    `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

  it('opens the service info without a token', async () => {
    const response = await test.http().get('/').expect(200);
    expect(response.body).toMatchObject({ name: 'queue-service', queues: ['money', 'communication', 'background'] });
  });

  it.each([
    ['no token', undefined, 'Missing bearer token'],
    ['a token signed with another secret', tokenFor({ secret: 'another-secret-of-enough-length-000' }), 'Invalid token'],
    ['an expired token', tokenFor({ expiresIn: -10 }), 'Token has expired'],
    ['an unsigned token (alg none)', unsigned({ sub: 'u', tenantId: randomUUID(), roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 }), 'Invalid token'],
    ['a token without exp', sign({ sub: 'u', tenantId: randomUUID(), roles: ['admin'] }, TEST_JWT_SECRET, { algorithm: 'HS256' }), 'Token must expire (exp claim)'],
    ['a token with a tenantId that is no UUID', sign({ tenantId: 'venue-1', roles: ['admin'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'u', expiresIn: 60 }), 'Token has no valid tenantId claim'],
    ['a token with an unknown role', sign({ tenantId: randomUUID(), roles: ['root'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'u', expiresIn: 60 }), 'Token roles must be a list of admin, venue_admin, user'],
    ['an HS512 token', sign({ tenantId: randomUUID(), roles: ['admin'] }, TEST_JWT_SECRET, { algorithm: 'HS512', subject: 'u', expiresIn: 60 }), 'Invalid token'],
  ])('answers 401 for %s', async (_case, token, message) => {
    const call = test.http().get('/queues');
    const response = await (token ? call.set('Authorization', `Bearer ${token}`) : call).expect(401);
    expect(response.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message,
      requestId: expect.any(String),
    });
  });

  it('answers 403 when the role may not do this', async () => {
    const tenant = newTenant();
    const response = await test.http().post('/queues/money/pause').set('Authorization', `Bearer ${tenant.venueAdmin}`).expect(403);
    expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: 'Requires one of the roles: admin' });
    await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.user}`).send({ jobs: [] }).expect(403);
  });

  it('echoes a well-formed X-Request-Id and never returns a stack trace', async () => {
    const response = await test.http().get('/queues').set('X-Request-Id', 'req-12345678').expect(401);
    expect(response.headers['x-request-id']).toBe('req-12345678');
    expect(response.body.requestId).toBe('req-12345678');
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
