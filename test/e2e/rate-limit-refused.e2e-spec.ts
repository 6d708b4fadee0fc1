import { expectErrorBody } from '../support/error-body';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';

/**
 * Requests refused with 401 or 403 never reach the throttler guard (authentication and roles
 * run first), so they are counted against the client IP on their own: past
 * API_RATE_LIMIT_REFUSED in a window, the IP's refused requests get 429.
 */
const LIMIT = 5;

describe('Refused requests are rate-limited per client IP', () => {
  let test: TestApp;
  beforeEach(async () => {
    // An app (and Redis prefix, so counters) per test: every request here comes from 127.0.0.1.
    test = await startTestApp({ env: { APP_ROLE: 'api', API_RATE_LIMIT_REFUSED: String(LIMIT), API_RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterEach(() => test?.close());

  it('answers 429 once an IP sending bad tokens is over the limit; a valid caller from it still gets in', async () => {
    const forged = tokenFor({ secret: 'not-the-service-secret-0123456789' });
    const statuses: number[] = [];
    for (let index = 0; index < LIMIT + 3; index++) {
      const response = await test.http().get('/queues').set('Authorization', `Bearer ${forged}`);
      statuses.push(response.status);
      if (response.status === 429) {
        expectErrorBody(response, 429, 'Too Many Requests');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429, 429, 429]);
    // No token at all counts as refused too.
    expectErrorBody(await test.http().get('/queues'), 429, 'Too Many Requests');
    await test.http().get('/queues').set('Authorization', `Bearer ${newTenant().user}`).expect(200);
  });

  it('counts 403s of valid tokens against the IP as well', async () => {
    const { venueAdmin } = newTenant();
    const statuses: number[] = [];
    for (let index = 0; index < LIMIT + 2; index++) {
      statuses.push((await test.http().post('/queues/money/pause').set('Authorization', `Bearer ${venueAdmin}`)).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(403), 429, 429]);
  });
});
