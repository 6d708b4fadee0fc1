import { startTestApp, TestApp } from '../support/test-app';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** The routes clients build against (API.md and the README's route table). */
const ROUTES: [method: string, path: string, open: boolean][] = [
  ['get', '/', true],
  ['post', '/jobs', false],
  ['post', '/jobs/batch', false],
  ['get', '/jobs/{id}', false],
  ['post', '/jobs/{id}/retry', false],
  ['delete', '/jobs/{id}', false],
  ['get', '/queues', false],
  ['get', '/queues/{name}/status', false],
  ['get', '/queues/{name}/jobs', false],
  ['post', '/queues/{name}/pause', false],
  ['post', '/queues/{name}/resume', false],
  ['post', '/queues/{name}/clear', false],
  ['get', '/dlq', false],
  ['get', '/dlq/stats', false],
  ['get', '/dlq/failures-by-error', false],
  ['get', '/dlq/export', false],
  ['get', '/dlq/{id}', false],
  ['delete', '/dlq/{id}', false],
  ['post', '/dlq/{id}/retry', false],
  ['post', '/dlq/retry', false],
  ['get', '/rate-limits', false],
  ['get', '/rate-limits/status/{key}', false],
  ['post', '/rate-limits/reset/{key}', false],
  ['post', '/rate-limits/emergency-stop', false],
  ['post', '/rate-limits/resume', false],
];

describe('API documentation', () => {
  let test: TestApp;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

  beforeAll(async () => {
    test = await startTestApp();
    document = (await test.http().get('/docs-json').expect(200)).body;
  });
  afterAll(() => test.close());

  it('serves an OpenAPI 3 document and the Swagger UI without a token', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const ui = await test.http().get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it.each(ROUTES)('documents %s %s with its auth and responses', (method, path, open) => {
    const operation = document.paths[path]?.[method];
    expect(operation).toBeDefined();
    if (open) expect(operation.security ?? []).toEqual([]);
    else expect(operation.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
  });

  it('documents no route beyond the contract without the list above knowing it', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it('describes the payload of every job type and the error shape', () => {
    for (const schema of [
      'PaymentProcessPayload', 'RefundProcessPayload', 'NftMintPayload', 'NftTransferPayload', 'EmailSendPayload',
      'SmsSendPayload', 'AnalyticsProcessPayload', 'CleanupPayload', 'ScheduledTaskPayload', 'ErrorResponse',
    ]) {
      expect(document.components.schemas[schema]).toBeDefined();
    }
    expect(document.paths['/jobs'].post.requestBody).toBeDefined();
  });
});
