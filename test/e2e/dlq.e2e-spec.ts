import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { JobRecord } from '../../src/persistence/job-record.entity';
import { TenantScope } from '../../src/database/tenant-scope';
import { DeadLetterEntry, DeadLetterRecorder } from '../../src/dead-letters/dead-letter-recorder';
import { DeadLetterJob } from '../../src/dead-letters/dead-letter.entity';
import { CSV_COLUMNS } from '../../src/dlq/dlq-export.format';
import { DlqRetention } from '../../src/dead-letters/dlq-retention';
import { AlertRecord } from '../../src/monitoring/alert-record.entity';
import { DECLINED_PAYMENT, VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const DAY_MS = 24 * 3600 * 1000;

/** Enough of RFC 4180 for our own export: quoted fields, doubled quotes, newlines in quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') field += text[++i];
      else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') (row.push(field), (field = ''));
    else if (char === '\n') (row.push(field), rows.push(row), (row = []), (field = ''));
    else field += char;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

describe('Dead-letter queue', () => {
  let test: TestApp;
  let scope: TenantScope;

  beforeAll(async () => {
    test = await startTestApp();
    scope = test.app.get(TenantScope);
  });
  afterAll(() => test.close());

  const get = (token: string, path: string) => test.http().get(path).set('Authorization', `Bearer ${token}`);
  const post = (token: string, path: string, body?: object) =>
    test.http().post(path).set('Authorization', `Bearer ${token}`).send(body);

  /** Records an entry as the JobRunner would, optionally backdated, and returns its row. */
  async function seed(tenantId: string, overrides: Partial<DeadLetterEntry> = {}, createdAt?: Date): Promise<DeadLetterJob> {
    const jobId = overrides.jobId ?? randomUUID();
    await test.app.get(DeadLetterRecorder).record({
      tenantId, jobId, queue: 'money', type: 'payment-process', data: VALID_PAYLOADS['payment-process'],
      idempotencyKey: null, errorType: 'card_declined', errorMessage: 'Your card was declined.', attempts: 1,
      firstFailedAt: new Date(), lastFailedAt: new Date(), ...overrides,
    });
    return scope.run(tenantId, async (manager) => {
      const [row] = await manager.find(DeadLetterJob, { where: { jobId }, order: { createdAt: 'DESC' }, take: 1 });
      if (createdAt) {
        await manager.query('UPDATE dead_letter_jobs SET created_at = $1 WHERE id = $2', [createdAt, row.id]);
        row.createdAt = createdAt;
      }
      return row;
    });
  }

  const ago = (days: number) => new Date(Date.now() - days * DAY_MS);
  const ids = (items: { id: string }[]) => items.map((item) => item.id);

  it('records an entry with a warning alert for the tenant', async () => {
    const tenant = newTenant();
    const entry = await seed(tenant.tenantId, { idempotencyKey: 'ord-9-pay', attempts: 5 });
    const body = (await get(tenant.admin, `/dlq/${entry.id}`).expect(200)).body;
    expect(body).toMatchObject({ id: entry.id, jobId: entry.jobId, attempts: 5, idempotencyKey: 'ord-9-pay', data: VALID_PAYLOADS['payment-process'] });
    const alerts = await scope.run(tenant.tenantId, (manager) => manager.findBy(AlertRecord, { kind: 'job.dead_lettered' }));
    expect(alerts).toEqual([expect.objectContaining({
      severity: 'warning', queue: 'money',
      details: expect.objectContaining({ jobId: entry.jobId, type: 'payment-process', errorType: 'card_declined', deadLetterId: entry.id }),
    })]);
  });

  it('dead-letters a payment that is declined for good', async () => {
    const tenant = newTenant();
    const submitted = await post(tenant.user, '/jobs', { type: 'payment-process', data: DECLINED_PAYMENT }).expect(201);
    const entry = await waitFor(async () => {
      const page = (await get(tenant.admin, '/dlq').expect(200)).body;
      return page.items.find((item: { jobId: string }) => item.jobId === submitted.body.id);
    }, 15_000, 'the declined payment to reach the DLQ');
    expect(entry).toMatchObject({ queue: 'money', type: 'payment-process', errorType: 'card_declined', data: DECLINED_PAYMENT });
  });

  describe('listing', () => {
    const tenant = newTenant();
    let a: DeadLetterJob, b: DeadLetterJob, c: DeadLetterJob, d: DeadLetterJob;
    beforeAll(async () => {
      a = await seed(tenant.tenantId, {}, ago(10));
      b = await seed(tenant.tenantId, { queue: 'communication', type: 'email-send', errorType: 'smtp_rejected', data: VALID_PAYLOADS['email-send'] }, ago(5));
      c = await seed(tenant.tenantId, { type: 'nft-mint', errorType: 'rpc_error', data: VALID_PAYLOADS['nft-mint'] }, ago(1));
      d = await seed(tenant.tenantId);
    });

    it('pages newest first with the total', async () => {
      expect((await get(tenant.venueAdmin, '/dlq').expect(200)).body).toMatchObject({ total: 4, limit: 20, offset: 0 });
      const first = (await get(tenant.admin, '/dlq?limit=3').expect(200)).body;
      expect(ids(first.items)).toEqual([d.id, c.id, b.id]);
      const second = (await get(tenant.admin, '/dlq?limit=3&offset=3').expect(200)).body;
      expect(second).toMatchObject({ total: 4, limit: 3, offset: 3 });
      expect(ids(second.items)).toEqual([a.id]);
    });

    it.each([
      ['queue=money', () => [d, c, a]],
      ['type=payment-process', () => [d, a]],
      ['errorType=smtp_rejected', () => [b]],
      [`from=${ago(6).toISOString()}`, () => [d, c, b]],
      [`to=${ago(2).toISOString()}`, () => [b, a]],
      [`from=${ago(6).toISOString()}&to=${ago(2).toISOString()}&queue=communication`, () => [b]],
    ])('filters by %s', async (query, expected) => {
      const page = (await get(tenant.admin, `/dlq?${query}`).expect(200)).body;
      expect(ids(page.items)).toEqual(ids(expected()));
      expect(page.total).toBe(expected().length);
    });

    it('counts by queue and type, with the oldest and newest entry', async () => {
      const stats = (await get(tenant.admin, '/dlq/stats').expect(200)).body;
      expect(stats).toEqual({
        total: 4,
        byQueue: [{ queue: 'money', count: 3 }, { queue: 'communication', count: 1 }],
        byType: [{ type: 'payment-process', count: 2 }, { type: 'email-send', count: 1 }, { type: 'nft-mint', count: 1 }],
        oldestAt: a.createdAt.toISOString(),
        newestAt: d.createdAt.toISOString(),
      });
    });

    it('groups failures by error type, most frequent first, with the latest message', async () => {
      const other = newTenant();
      const [latest, declined] = [ago(1), ago(4)];
      await seed(other.tenantId, { errorType: 'timeout', errorMessage: 'first', lastFailedAt: ago(2) });
      await seed(other.tenantId, { errorType: 'timeout', errorMessage: 'latest', lastFailedAt: latest });
      await seed(other.tenantId, { errorType: 'timeout', errorMessage: 'older', lastFailedAt: ago(3) });
      await seed(other.tenantId, { errorType: 'card_declined', errorMessage: 'declined', lastFailedAt: declined });
      expect((await get(other.admin, '/dlq/failures-by-error').expect(200)).body).toEqual([
        { errorType: 'timeout', count: 3, lastSeenAt: latest.toISOString(), sampleMessage: 'latest' },
        { errorType: 'card_declined', count: 1, lastSeenAt: declined.toISOString(), sampleMessage: 'declined' },
      ]);
      const filtered = (await get(other.admin, '/dlq/failures-by-error?errorType=card_declined').expect(200)).body;
      expect(filtered).toHaveLength(1);
    });

    it('shows another tenant nothing of these entries', async () => {
      const other = newTenant();
      expect((await get(other.admin, '/dlq').expect(200)).body).toMatchObject({ items: [], total: 0 });
      expect((await get(other.admin, '/dlq/stats').expect(200)).body).toMatchObject({ total: 0, byQueue: [], oldestAt: null });
      expect((await get(other.admin, '/dlq/export').expect(200)).body).toEqual([]);
      const response = await get(other.admin, `/dlq/${a.id}`).expect(404);
      expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Dead-letter entry ${a.id} not found`, requestId: expect.any(String) });
      await test.http().delete(`/dlq/${a.id}`).set('Authorization', `Bearer ${other.admin}`).expect(404);
      await post(other.admin, `/dlq/${a.id}/retry`).expect(404);
      expect((await post(other.admin, '/dlq/retry', { ids: [a.id] }).expect(200)).body)
        .toEqual({ retried: [], failed: [{ id: a.id, message: `Dead-letter entry ${a.id} not found` }] });
      await get(tenant.admin, `/dlq/${a.id}`).expect(200);
    });

    it('exports matching entries as JSON and as CSV attachments', async () => {
      const json = await get(tenant.admin, '/dlq/export?queue=money').expect(200);
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(json.headers['content-disposition']).toMatch(/^attachment; filename="dead-letters-.+\.json"$/);
      expect(ids(json.body)).toEqual([d.id, c.id, a.id]);
      expect(json.body[0]).toEqual((await get(tenant.admin, `/dlq/${d.id}`)).body);

      const csv = await get(tenant.admin, '/dlq/export?format=csv&type=nft-mint').expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="dead-letters-.+\.csv"$/);
      const [header, ...rows] = parseCsv(csv.text);
      expect(header).toEqual([...CSV_COLUMNS]);
      expect(rows).toHaveLength(1);
      const row = Object.fromEntries(header.map((column, index) => [column, rows[0][index]]));
      expect(row).toMatchObject({ id: c.id, jobId: c.jobId, type: 'nft-mint', errorType: 'rpc_error', attempts: '1', createdAt: c.createdAt.toISOString() });
      expect(JSON.parse(row.data)).toEqual(VALID_PAYLOADS['nft-mint']);
    });
  });

  it('streams a large export page by page, every entry once, newest first', async () => {
    const tenant = newTenant();
    const base = Date.now();
    const rows = Array.from({ length: 1500 }, (_, index) => ({
      tenantId: tenant.tenantId, jobId: randomUUID(), queue: 'money', type: 'payment-process',
      data: { orderId: `ord_${index}`, note: 'with "quotes", commas\nand a newline' }, idempotencyKey: null,
      errorType: 'card_declined', errorMessage: `declined ${index}`, attempts: 1,
      firstFailedAt: new Date(base), lastFailedAt: new Date(base), createdAt: new Date(base - index * 1000),
    }));
    await scope.run(tenant.tenantId, (manager) => manager.insert(DeadLetterJob, rows as QueryDeepPartialEntity<DeadLetterJob>[]));

    const json = await get(tenant.admin, '/dlq/export').expect(200);
    expect(json.headers['transfer-encoding']).toBe('chunked');
    expect(json.body).toHaveLength(1500);
    expect(json.body.map((item: { errorMessage: string }) => item.errorMessage)).toEqual(rows.map((row) => row.errorMessage));

    const csv = await get(tenant.admin, '/dlq/export?format=csv').expect(200);
    expect(csv.headers['transfer-encoding']).toBe('chunked');
    const [header, ...records] = parseCsv(csv.text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(1500);
    const data = header.indexOf('data');
    expect(records.map((record) => JSON.parse(record[data]).orderId)).toEqual(rows.map((row) => row.data.orderId));
    expect(new Set(records.map((record) => record[0])).size).toBe(1500);
  });

  it('neutralises CSV cells that a spreadsheet would run as formulas, in every column', async () => {
    const tenant = newTenant();
    const hostile = {
      errorType: '=HYPERLINK("http://attacker.example","open")', errorMessage: '+cmd|\' /C calc\'!A0',
      idempotencyKey: '@SUM(1+1)*cmd', type: 'payment-process' as const,
    };
    const entry = await seed(tenant.tenantId, hostile);
    await scope.run(tenant.tenantId, (manager) => manager.query(`UPDATE dead_letter_jobs SET error_message = E'\\t=1' WHERE id = $1`, [entry.id]));
    const nested = { orderId: '=cmd()', note: '@x', amount: -5 };
    await seed(tenant.tenantId, { errorMessage: '\r=2', errorType: '-3+4', data: nested });

    const csv = await get(tenant.admin, '/dlq/export?format=csv').expect(200);
    const [header, ...rows] = parseCsv(csv.text);
    const records = rows.map((row) => Object.fromEntries(header.map((column, index) => [column, row[index]])));
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({
      id: entry.id, errorType: `'${hostile.errorType}`, errorMessage: "'\t=1", idempotencyKey: `'${hostile.idempotencyKey}`,
    });
    expect(records[0]).toMatchObject({ errorType: "'-3+4", errorMessage: "'\r=2" });
    // A JSON cell starts with its brace, so its values cannot start a formula; they stay exact.
    expect(JSON.parse(records[0].data)).toEqual(nested);
    for (const record of records) {
      for (const cell of Object.values(record)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    // JSON is not a spreadsheet format: its values stay as they were.
    const json = await get(tenant.admin, '/dlq/export').expect(200);
    expect(json.body[1]).toMatchObject({ errorType: hostile.errorType, errorMessage: '\t=1', idempotencyKey: hostile.idempotencyKey });
  });

  describe('retry and delete', () => {
    it('runs a job again under its own id and idempotency key, and removes the entry', async () => {
      const tenant = newTenant();
      const entry = await seed(tenant.tenantId, { idempotencyKey: `ord-${randomUUID()}` });
      const summary = (await post(tenant.venueAdmin, `/dlq/${entry.id}/retry`).expect(202)).body;
      expect(summary).toEqual({ id: entry.jobId, queue: 'money', type: 'payment-process', status: 'waiting' });
      const job = await waitForJobToFinish(test, tenant.admin, entry.jobId);
      expect(job).toMatchObject({ id: entry.jobId, status: 'completed', data: VALID_PAYLOADS['payment-process'] });
      await get(tenant.admin, `/dlq/${entry.id}`).expect(404);
      // Its record was gone (cleaned up since): requeue wrote it anew, with the entry's key.
      const record = await scope.run(tenant.tenantId, (manager) => manager.findOneBy(JobRecord, { id: entry.jobId }));
      expect(record?.idempotencyKey).toBe(entry.idempotencyKey);
      // A second retry of a job that has since completed would run it twice.
      const twice = await seed(tenant.tenantId, { jobId: entry.jobId });
      expect((await post(tenant.admin, `/dlq/${twice.id}/retry`).expect(409)).body.message).toMatch(/is completed/);
    });

    it('re-runs a declined payment that failed for good; failing again makes a new entry', async () => {
      const tenant = newTenant();
      const submitted = (await post(tenant.user, '/jobs', { type: 'payment-process', data: DECLINED_PAYMENT }).expect(201)).body;
      const entryOf = (excluded?: string) => waitFor(async () => {
        const page = (await get(tenant.admin, '/dlq').expect(200)).body;
        return page.items.find((item: { id: string; jobId: string }) => item.jobId === submitted.id && item.id !== excluded);
      }, 15_000, `job ${submitted.id} to be dead-lettered`);
      const entry = await entryOf();
      const failed = await waitForJobToFinish(test, tenant.admin, submitted.id);
      expect(failed.status).toBe('failed');

      await post(tenant.admin, `/dlq/${entry.id}/retry`).expect(202);
      const rerun = await waitFor(async () => {
        const job = await waitForJobToFinish(test, tenant.admin, submitted.id);
        return Date.parse(String(job.startedAt)) > Date.parse(String(failed.startedAt)) ? job : undefined;
      }, 15_000, 'the job to run again');
      expect(rerun).toMatchObject({ id: submitted.id, status: 'failed', error: { type: 'card_declined' } });
      await get(tenant.admin, `/dlq/${entry.id}`).expect(404);
      expect(await entryOf(entry.id)).toMatchObject({ jobId: submitted.id, errorType: 'card_declined' });
    });

    it('retries in bulk by ids, reporting the ones it could not retry', async () => {
      const tenant = newTenant();
      const [first, second, kept] = [await seed(tenant.tenantId), await seed(tenant.tenantId), await seed(tenant.tenantId)];
      const unknown = randomUUID();
      const result = (await post(tenant.admin, '/dlq/retry', { ids: [first.id, second.id, unknown] }).expect(200)).body;
      expect(result.retried.sort()).toEqual([first.jobId, second.jobId].sort());
      expect(result.failed).toEqual([{ id: unknown, message: `Dead-letter entry ${unknown} not found` }]);
      for (const entry of [first, second]) await waitForJobToFinish(test, tenant.admin, entry.jobId);
      expect(ids((await get(tenant.admin, '/dlq').expect(200)).body.items)).toEqual([kept.id]);
    });

    it('retries in bulk by filter, oldest first, up to the limit', async () => {
      const tenant = newTenant();
      const oldest = await seed(tenant.tenantId, { errorType: 'timeout' }, ago(3));
      const older = await seed(tenant.tenantId, { errorType: 'timeout' }, ago(2));
      const newest = await seed(tenant.tenantId, { errorType: 'timeout' }, ago(1));
      const other = await seed(tenant.tenantId, { errorType: 'card_declined' }, ago(4));
      const result = (await post(tenant.admin, '/dlq/retry', { filter: { errorType: 'timeout' }, limit: 2 }).expect(200)).body;
      expect(result).toEqual({ retried: [oldest.jobId, older.jobId], failed: [] });
      for (const jobId of result.retried) await waitForJobToFinish(test, tenant.admin, jobId);
      expect(ids((await get(tenant.admin, '/dlq').expect(200)).body.items)).toEqual([newest.id, other.id]);
    });

    it('deletes an entry without running its job', async () => {
      const tenant = newTenant();
      const entry = await seed(tenant.tenantId);
      await test.http().delete(`/dlq/${entry.id}`).set('Authorization', `Bearer ${tenant.admin}`).expect(204);
      await get(tenant.admin, `/dlq/${entry.id}`).expect(404);
      await test.http().delete(`/dlq/${entry.id}`).set('Authorization', `Bearer ${tenant.admin}`).expect(404);
      await get(tenant.admin, `/jobs/${entry.jobId}`).expect(404);
    });
  });

  it.each([
    ['GET', '/dlq'], ['GET', '/dlq/stats'], ['GET', '/dlq/failures-by-error'], ['GET', '/dlq/export'],
    ['GET', `/dlq/${randomUUID()}`], ['DELETE', `/dlq/${randomUUID()}`], ['POST', `/dlq/${randomUUID()}/retry`], ['POST', '/dlq/retry'],
  ])('answers 403 to a plain user for %s %s', async (method, path) => {
    const { user } = newTenant();
    const call = method === 'GET' ? test.http().get(path) : method === 'DELETE' ? test.http().delete(path) : test.http().post(path);
    const response = await call.set('Authorization', `Bearer ${user}`).send({ ids: [randomUUID()] }).expect(403);
    expect(response.body.message).toBe('Requires one of the roles: admin, venue_admin');
  });

  it.each([
    ['/dlq?from=yesterday', 'from', 'from must be a date or date-time such as 2026-12-01T10:15:30Z'],
    ['/dlq?to=2026-02-30T00:00:00Z', 'to', 'to must be a date or date-time such as 2026-12-01T10:15:30Z'],
    ['/dlq?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to', 'to must not be before from'],
    ['/dlq?limit=0', 'limit', 'limit must not be less than 1'],
    ['/dlq?limit=101', 'limit', 'limit must not be greater than 100'],
    ['/dlq?offset=-1', 'offset', 'offset must not be less than 0'],
    ['/dlq?queue=slow', 'queue', 'queue must be one of the following values: money, communication, background'],
    ['/dlq?status=failed', 'status', 'status should not exist'],
    ['/dlq/stats?type=fax-send', 'type', expect.stringMatching(/^type must be one of the following values: /)],
    ['/dlq/export?format=xml', 'format', 'format must be one of the following values: json, csv'],
  ])('answers 400 for GET %s, naming %s', async (path, field, message) => {
    const response = await get(newTenant().admin, path).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, message: 'Validation failed', details: expect.arrayContaining([{ field, message }]) });
  });

  it('answers 400 for an id that is no UUID and for a bulk retry without ids or filter', async () => {
    const { admin } = newTenant();
    await get(admin, '/dlq/not-a-uuid').expect(400);
    const response = await post(admin, '/dlq/retry', {}).expect(400);
    expect(response.body.details).toEqual([{ field: 'filter', message: 'ids or filter is required' }]);
  });

  describe('retention', () => {
    it('removes only entries older than the retention period, across tenants', async () => {
      const [one, two] = [newTenant(), newTenant()];
      const expired = [await seed(one.tenantId, {}, ago(31)), await seed(two.tenantId, {}, ago(45))];
      const kept = [await seed(one.tenantId, {}, ago(29)), await seed(two.tenantId)];
      const outcome = await test.app.get(DlqRetention).removeExpired();
      expect(outcome.ran).toBe(true);
      expect(outcome.removed).toBeGreaterThanOrEqual(2);
      for (const [entry, tenant] of [[expired[0], one], [expired[1], two]] as const) await get(tenant.admin, `/dlq/${entry.id}`).expect(404);
      for (const [entry, tenant] of [[kept[0], one], [kept[1], two]] as const) await get(tenant.admin, `/dlq/${entry.id}`).expect(200);
    });

    it('does nothing while another instance holds the retention lock', async () => {
      const tenant = newTenant();
      const expired = await seed(tenant.tenantId, {}, ago(40));
      const other = new Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      try {
        await other.query(`SELECT pg_advisory_lock(hashtext('queue-service:dlq-retention'))`);
        expect(await test.app.get(DlqRetention).removeExpired()).toEqual({ ran: false, removed: 0 });
        await get(tenant.admin, `/dlq/${expired.id}`).expect(200);
      } finally {
        await other.end();
      }
      expect((await test.app.get(DlqRetention).removeExpired()).ran).toBe(true);
      await get(tenant.admin, `/dlq/${expired.id}`).expect(404);
    });
  });
});
