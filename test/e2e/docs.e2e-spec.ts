import { clientJobTypes, JOB_TYPES } from '../../src/job-definitions/job-types';
import { openApiDocumentOf } from '../../src/openapi/openapi-document';
import { contractOf } from '../support/openapi-contract';
import { VALID_PAYLOADS } from '../support/payloads';
import { startTestApp, TestApp } from '../support/test-app';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
}

interface Schema {
  oneOf?: { $ref: string }[];
  discriminator?: { propertyName: string; mapping: Record<string, string> };
  required?: string[];
  properties?: Record<string, { enum?: string[]; $ref?: string }>;
}

const PUBLIC_URL = 'https://queue.tickets.test/api';
const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponse' };

/** The routes clients build against (API.md and the README's route table). */
const ROUTES: [method: string, path: string, open: boolean][] = [
  ['get', '/', true],
  ['get', '/docs', true],
  ['get', '/docs-json', true],
  ['get', '/docs-yaml', true],
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
  ['get', '/alerts', false],
  ['post', '/alerts/test', false],
  ['post', '/alerts/{id}/acknowledge', false],
  ['get', '/monitoring/status', false],
  ['post', '/monitoring/start', false],
  ['post', '/monitoring/stop', false],
  ['post', '/monitoring/check', false],
  ['post', '/webhooks/stripe', true],
  ['get', '/cache/stats', false],
  ['delete', '/cache/flush', false],
  ['post', '/webhook-endpoints', false],
  ['get', '/webhook-endpoints', false],
  ['get', '/webhook-endpoints/{id}', false],
  ['patch', '/webhook-endpoints/{id}', false],
  ['delete', '/webhook-endpoints/{id}', false],
  ['post', '/webhook-endpoints/{id}/rotate-secret', false],
  ['get', '/webhook-endpoints/{id}/deliveries', false],
  ['post', '/schedules', false],
  ['get', '/schedules', false],
  ['get', '/schedules/{id}', false],
  ['patch', '/schedules/{id}', false],
  ['delete', '/schedules/{id}', false],
  ['post', '/admin/queues/session', false],
  ['get', '/audit', false],
];

/**
 * Probes and scrapes: never throttled (no 429 or 503 from the limiter). The probes are open and
 * answer their own body with 503; /metrics is open to the JWT guard (its token, when set, is
 * METRICS_TOKEN); the other /metrics routes want an admin token.
 */
const OBSERVABILITY_ROUTES: [method: string, path: string, open: boolean][] = [
  ['get', '/health/live', true],
  ['get', '/health/ready', true],
  ['get', '/health/startup', true],
  ['get', '/metrics', true],
  ['get', '/metrics/json', false],
  ['get', '/metrics/queue-stats', false],
  ['get', '/metrics/system', false],
];

describe('API documentation', () => {
  let test: TestApp;
  let document: {
    openapi: string;
    servers: { url: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema> };
  };

  beforeAll(async () => {
    test = await startTestApp({ env: { PUBLIC_URL } });
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
    // Open routes say so with an explicit empty list; a missing one would read as "unspecified".
    expect(operation.security).toEqual(open ? [] : [{ bearer: [] }]);
    expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
  });

  it.each(ROUTES)('documents the statuses every route of its kind answers with for %s %s', (method, path, open) => {
    const { responses } = document.paths[path][method];
    const shared = open ? ['400', '500'] : ['400', '401', '429', '500', '503'];
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(shared));
    for (const status of Object.keys(responses).filter((code) => Number(code) >= 400)) {
      expect(responses[status].content).toEqual({ 'application/json': { schema: ERROR_SCHEMA } });
    }
    if (!open) expect(responses['429'].headers).toHaveProperty('Retry-After');
  });

  it.each(OBSERVABILITY_ROUTES)('documents %s %s as unthrottled, with its auth', (method, path, open) => {
    const operation = document.paths[path]?.[method];
    expect(operation.security).toEqual(open ? [] : [{ bearer: [] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(open ? ['200', '500'] : ['200', '401', '403', '500']));
    expect(Object.keys(operation.responses)).not.toContain('429');
  });

  it('documents the probes\' 503 with their own body and the text exposition of /metrics', () => {
    expect(document.paths['/health/ready'].get.responses['503'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ReadinessView' } } });
    expect(document.paths['/health/startup'].get.responses['503'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/StartupView' } } });
    expect(Object.keys(document.paths['/metrics'].get.responses['200'].content ?? {})).toEqual(['text/plain']);
    expect(Object.keys(document.paths['/metrics'].get.responses)).toEqual(expect.arrayContaining(['401', '404']));
  });

  it('documents the statuses particular to the job routes', () => {
    const statuses = (method: string, path: string) => Object.keys(document.paths[path][method].responses);
    expect(statuses('post', '/jobs')).toEqual(expect.arrayContaining(['200', '201', '409', '413', '422', '503']));
    expect(statuses('post', '/jobs/batch')).toEqual(expect.arrayContaining(['201', '403', '409', '413', '422']));
    for (const [method, path] of [['get', '/jobs/{id}'], ['post', '/jobs/{id}/retry'], ['delete', '/jobs/{id}']]) {
      expect(statuses(method, path)).toEqual(expect.arrayContaining(['400', '404']));
    }
  });

  it('documents POST /webhooks/stripe: the signature header, the raw event body, 200, 400 and 503', () => {
    const operation = document.paths['/webhooks/stripe'].post as Operation & { parameters?: { name: string; in: string; required?: boolean }[] };
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '503']));
    expect(operation.parameters).toEqual([expect.objectContaining({ name: 'Stripe-Signature', in: 'header', required: true })]);
    expect(operation.requestBody).toMatchObject({ content: { 'application/json': { schema: { type: 'object', required: ['id', 'object', 'type', 'data'] } } } });
  });

  it('serves exactly the document the e2e suite checks responses against, with PUBLIC_URL as its server', () => {
    expect(document).toEqual(JSON.parse(JSON.stringify(openApiDocumentOf(test.app))));
    expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
  });

  it('describes a job submission as a union discriminated on type, one schema per client job type', () => {
    const union = document.components.schemas.SubmitJobRequest;
    const types = clientJobTypes();
    expect(union.discriminator?.propertyName).toBe('type');
    expect(Object.keys(union.discriminator?.mapping ?? {})).toEqual(types);
    expect(union.oneOf?.map((variant) => variant.$ref)).toEqual(types.map((type) => union.discriminator?.mapping[type]));
    for (const type of types) {
      const variant = document.components.schemas[union.discriminator!.mapping[type].replace('#/components/schemas/', '')];
      expect(variant.required).toEqual(['type', 'data']);
      expect(variant.properties?.type.enum).toEqual([type]);
      expect(variant.properties?.data.$ref).toBe(`#/components/schemas/${JOB_TYPES[type].payload.name}`);
    }
    expect(document.components.schemas.SubmitBatchRequest.properties?.jobs).toMatchObject({ items: { $ref: '#/components/schemas/SubmitJobRequest' } });
  });

  it.each(clientJobTypes())('accepts a valid %s job against the document and refuses another type\'s data', (type) => {
    const contract = contractOf(test.app);
    expect(contract.validateAgainst('SubmitJobRequest', { type, data: VALID_PAYLOADS[type], options: { priority: 'high' } })).toBeUndefined();
    const otherType = type === 'sms-send' ? 'email-send' : 'sms-send';
    expect(contract.validateAgainst('SubmitJobRequest', { type, data: VALID_PAYLOADS[otherType] })).toMatch(/must/);
  });

  it('documents no route beyond the contract without the list above knowing it', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...ROUTES, ...OBSERVABILITY_ROUTES].map(([method, path]) => `${method} ${path}`).sort());
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
