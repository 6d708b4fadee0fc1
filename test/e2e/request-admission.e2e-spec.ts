import { request as httpRequest, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceMetrics } from '../../src/observability/metrics/service-metrics';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth, tenantJobCount } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Load shedding on request bytes in flight (REQUEST_BYTES_IN_FLIGHT_MAX): a request whose body
 * would take the process past its budget is refused with 503 before its body is read, and
 * nothing of it is accepted; the budget is given back when a response ends or its connection drops.
 */

const database = privateDatabaseForThisFile();
const BUDGET = 1_000_000;

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/**
 * A POST of `body`, of which only the first `sendBytes` go out until `finish()` (all of it when
 * not given): meanwhile the server holds the request in flight. `drop()` cuts the connection.
 */
const open = new Set<ReturnType<typeof httpRequest>>();

function postInParts(port: number, token: string, body: Buffer, sendBytes = body.length) {
  const headers = { ...auth(token), 'content-type': 'application/json', 'content-length': body.length };
  const request = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/jobs/batch', agent: false, headers });
  open.add(request);
  let dropped = false;
  const answered = new Promise<Answer | 'dropped'>((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    request.on('error', (error) => (dropped ? resolve('dropped') : reject(error)));
  });
  if (sendBytes >= body.length) request.end(body);
  else request.write(body.subarray(0, sendBytes));
  return {
    answer: () =>
      answered.then((answer) => {
        if (answer === 'dropped') throw new Error('the request was dropped');
        return answer;
      }),
    finish: () => request.end(body.subarray(sendBytes)),
    drop: async () => {
      dropped = true;
      request.destroy();
      await answered;
    },
  };
}

/** A batch of `count` payments whose JSON is about `count` × 620 bytes. */
function paymentBatch(label: string, count: number, descriptionLength = 500): Buffer {
  const jobs = Array.from({ length: count }, (_, index) => ({
    type: 'payment-process',
    data: paymentData({ orderId: `ord_${label}_${index}`, description: 'x'.repeat(descriptionLength) }),
  }));
  return Buffer.from(JSON.stringify({ jobs }));
}

describe('Request bytes in flight (load shedding)', () => {
  let test: TestApp;
  let port: number;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...database.env(), REQUEST_BYTES_IN_FLIGHT_MAX: String(BUDGET) } });
    const server = test.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    // A request a failed test left half-sent would keep the server from closing.
    for (const request of open) request.destroy();
    open.clear();
  });
  afterAll(async () => {
    await test?.close();
  });

  const shed = async () => (await test.app.get(ServiceMetrics).requestsShed.get()).values[0]?.value ?? 0;
  /**
   * Resolves once the server has taken the next request's headers: Express's middleware runs
   * synchronously up to the body parser inside the same 'request' event, so its bytes are counted.
   */
  const nextRequestArrives = () => new Promise<void>((resolve) => test.app.getHttpServer().once('request', () => resolve()));
  const connections = () =>
    new Promise<number>((resolve, reject) => test.app.getHttpServer().getConnections((error: Error | null, count: number) => (error ? reject(error) : resolve(count))));

  it('refuses a body past the budget with 503 and Retry-After while another is in flight, and accepts it once that one is answered', async () => {
    const tenant = newTenant();
    const first = paymentBatch('first', 1000);
    const second = paymentBatch('second', 1000);
    expect(first.length).toBeGreaterThan(BUDGET / 2);
    const shedBefore = await shed();

    const arrived = nextRequestArrives();
    const held = postInParts(port, tenant.venueAdmin, first, 1000);
    await arrived; // the server has counted its bytes and waits for the rest of its body

    const refused = await postInParts(port, tenant.venueAdmin, second).answer();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringContaining('nothing was accepted'),
      requestId: refused.headers['x-request-id'],
    });
    expect(await shed()).toBe(shedBefore + 1);

    held.finish();
    const accepted = await held.answer();
    expect(accepted.status).toBe(201);
    // The refused batch left nothing; sent again once the budget is free, it is accepted whole.
    expect(await tenantJobCount(test, tenant.venueAdmin, 'money')).toBe(1000);
    expect((await postInParts(port, tenant.venueAdmin, second).answer()).status).toBe(201);
    expect(await tenantJobCount(test, tenant.venueAdmin, 'money')).toBe(2000);
  }, 60_000);

  it('gives the budget back when a client drops its request mid-body', async () => {
    const tenant = newTenant();
    const arrived = nextRequestArrives();
    const dropped = postInParts(port, tenant.venueAdmin, paymentBatch('dropped', 1000), 1000);
    await arrived;
    await dropped.drop();
    await waitFor(async () => ((await connections()) === 0 ? true : undefined), 5_000, 'the server to see the connection close');

    expect((await postInParts(port, tenant.venueAdmin, paymentBatch('after', 1000)).answer()).status).toBe(201);
    expect(await tenantJobCount(test, tenant.venueAdmin, 'money')).toBe(1000);
  }, 60_000);

  it('always lets one request in: a body over the whole budget is accepted when nothing else is in flight', async () => {
    const tenant = newTenant();
    const large = paymentBatch('large', 1000, 1000);
    expect(large.length).toBeGreaterThan(BUDGET);
    expect((await postInParts(port, tenant.venueAdmin, large).answer()).status).toBe(201);
  }, 60_000);
});
