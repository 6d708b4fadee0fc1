import { randomUUID } from 'node:crypto';
import type { OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import { derivedJobId } from '../../src/jobs/derived-id';
import { FakeOtlpCollector, ReceivedSpan, startFakeOtlpCollector } from '../support/fake-otlp-collector';
import { checkedAgainstContract, OpenApiContract } from '../support/openapi-contract';
import { paymentJob } from '../support/payloads';
import { deleteRedisKeys, newRedisPrefix, newTenant } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { freePort } from '../support/free-port';

/**
 * The service as it runs: src/main.ts in a process of its own, so that src/tracing.ts is
 * loaded before http, pg and ioredis (Jest's module loader would bypass the instrumentations'
 * require hooks), exporting over OTLP to a loopback collector, and logging JSON to stdout.
 */
const SERVER = 2;
const CONSUMER = 5;

type LogLine = Record<string, unknown> & { msg?: string };

function jsonLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

describe('telemetry of a service process: traces and logs', () => {
  let collector: FakeOtlpCollector;
  let service: WorkerProcess;
  let baseUrl: string;
  let contract: OpenApiContract;
  const prefix = newRedisPrefix();
  const http = () => checkedAgainstContract(request(baseUrl), () => contract);

  beforeAll(async () => {
    collector = await startFakeOtlpCollector();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = await startWorkerProcess(
      {
        APP_ROLE: 'all',
        PORT: String(port),
        REDIS_PREFIX: prefix,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      },
      () => fetch(`${baseUrl}/`).then((response) => response.ok, () => false),
      60_000,
    );
    contract = new OpenApiContract((await (await fetch(`${baseUrl}/docs-json`)).json()) as OpenAPIObject);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    await collector?.close();
    await deleteRedisKeys(prefix);
  });

  async function submitAndComplete(token: string, body: object): Promise<{ id: string; requestId: string }> {
    const submitted = await http().post('/jobs').set('Authorization', `Bearer ${token}`).send(body).expect(201);
    const id = submitted.body.id as string;
    await waitForCompletion(token, id);
    return { id, requestId: submitted.headers['x-request-id'] as string };
  }

  function waitForCompletion(token: string, id: string): Promise<true> {
    return waitFor(
      async () => {
        const view = await http().get(`/jobs/${id}`).set('Authorization', `Bearer ${token}`).expect(200);
        if (view.body.status === 'failed' || view.body.status === 'cancelled') throw new Error(`job ${id} ended ${view.body.status}`);
        return view.body.status === 'completed' ? true : undefined;
      },
      20_000,
      `job ${id} to complete`,
    );
  }

  it('exports the spans of one payment job, from the request to its completion, under one trace id', async () => {
    const tenant = newTenant();
    const paymentMethodId = `pm_trace_${randomUUID().slice(0, 8)}`;
    const { id } = await submitAndComplete(tenant.admin, paymentJob({ orderId: `ord_${randomUUID()}`, paymentMethodId }));

    const attempt = await waitFor(
      async () => collector.spans().find((span) => span.kind === CONSUMER && span.attributes['job.id'] === id && span.attributes['job.outcome']),
      15_000,
      'the attempt span to be exported',
    );
    expect(attempt).toMatchObject({
      name: 'job.attempt payment-process',
      attributes: { 'job.type': 'payment-process', 'job.queue': 'money', 'job.attempt': 1, 'job.outcome': 'completed' },
    });
    const inTrace = () => collector.spans().filter((span) => span.traceId === attempt.traceId);
    const byId = (spanId?: string) => inTrace().find((span) => span.spanId === spanId);
    // The job's own spans end before the request's: wait until the whole trace has arrived.
    const root = await waitFor(async () => inTrace().find((span) => !span.parentSpanId), 15_000, 'the root span');
    expect(root.kind).toBe(SERVER);
    expect(root.attributes['http.method'] ?? root.attributes['http.request.method']).toBe('POST');
    expect(root.attributes['http.target'] ?? root.attributes['url.path']).toBe('/jobs');

    // The attempt is a child of the request that submitted it (its traceparent in the envelope).
    expect(attempt.parentSpanId).toBe(root.spanId);
    const enqueue = inTrace().find((span) => span.name === 'job.enqueue');
    expect(enqueue?.parentSpanId).toBe(root.spanId);
    const handle = await waitFor(async () => inTrace().find((span) => span.name === 'job.handle payment-process'), 5_000, 'the handler span');
    expect(handle.parentSpanId).toBe(attempt.spanId);
    const step = inTrace().find((span) => span.name === 'job.step payment_intent_confirmed');
    expect(step).toMatchObject({ parentSpanId: handle.spanId, attributes: { 'job.provider': 'stripe' } });

    const isUnder = (span: ReceivedSpan, ancestor: ReceivedSpan): boolean => {
      for (let parent = byId(span.parentSpanId); parent; parent = byId(parent.parentSpanId)) if (parent === ancestor) return true;
      return false;
    };
    const database = (system: string) => inTrace().filter((span) => span.attributes['db.system'] === system || span.attributes['db.system.name'] === system);
    // PostgreSQL and Redis calls of the submission and of the attempt (claim, journal, completion).
    expect(database('postgresql').some((span) => isUnder(span, enqueue!))).toBe(true);
    expect(database('redis').some((span) => isUnder(span, enqueue!))).toBe(true);
    expect(database('postgresql').filter((span) => isUnder(span, attempt)).length).toBeGreaterThanOrEqual(3);

    // Ids, types and outcomes only: no payload value reaches a span (Bull's scripts carry the payload).
    const exported = JSON.stringify(collector.spans());
    expect(exported).not.toContain(paymentMethodId);
  });

  it("logs one job's story in JSON lines that one filter by job id finds, with its context and no payload values", async () => {
    const tenant = newTenant();
    const customerEmail = `fan-${randomUUID().slice(0, 8)}@example.com`;
    const paymentMethodId = `pm_log_${randomUUID().slice(0, 8)}`;
    const { id, requestId } = await submitAndComplete(tenant.admin, paymentJob({ orderId: `ord_${randomUUID()}`, paymentMethodId, customerEmail }));
    const emailId = derivedJobId('follow-up', id, 'payment-confirmation-email');
    await waitForCompletion(tenant.admin, emailId);

    const story = await waitFor(
      async () => {
        const lines = jsonLines(service.output()).filter((line) => line.jobId === id);
        return lines.some((line) => line.msg === 'Job completed') ? lines : undefined;
      },
      10_000,
      'the completion line of the payment',
    );
    expect(story.map((line) => line.msg)).toEqual(['Job enqueued', 'Job started', 'Job completed']);
    const traceId = story[0].traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const line of story) {
      expect(line).toMatchObject({ jobId: id, type: 'payment-process', queue: 'money', tenantId: tenant.tenantId, traceId });
    }
    for (const line of story.slice(1)) expect(line.attempt).toBe(1);
    // The submission's line was written while the request was served: it names the request too.
    expect(story[0].requestId).toBe(requestId);

    // The follow-up's own story joins the payment's trace.
    const emailStory = jsonLines(service.output()).filter((line) => line.jobId === emailId);
    expect(emailStory.map((line) => line.msg)).toEqual(expect.arrayContaining(['Job started', 'Job completed']));
    for (const line of emailStory) expect(line).toMatchObject({ type: 'email-send', queue: 'communication', tenantId: tenant.tenantId, traceId });

    // Every request line names its request.
    const requestLines = jsonLines(service.output()).filter((line) => line.req !== undefined && line.res !== undefined);
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line.requestId).toEqual(expect.any(String));
    expect(requestLines.find((line) => line.requestId === requestId)?.msg).toBe('POST /jobs 201');

    const everything = service.output();
    expect(everything).not.toContain(customerEmail);
    expect(everything).not.toContain(paymentMethodId);
  });
});
