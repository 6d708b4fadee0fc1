import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { VALID_PAYLOADS } from './payloads';
import { auth } from './job-requests';
import type { TestApp } from './test-app';
import { waitFor } from './wait-for';

/** A row of `audit_log` as PostgreSQL answers it. */
export interface AuditRow {
  id: string;
  tenant_id: string;
  actor: string;
  roles: string[];
  action: string;
  target: string | null;
  request_id: string | null;
  outcome: string;
  status_code: number | null;
  details: Record<string, unknown>;
  occurred_at: Date;
}

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** An audited schedule any tenant may create (vary `name`: a tenant's names are unique). */
export const SCHEDULE = {
  name: 'audited-nightly', cron: '0 30 2 * * *', timezone: 'Europe/Berlin',
  jobType: 'analytics-process', jobData: VALID_PAYLOADS['analytics-process'],
};

export const newRequestId = () => `audit-${randomUUID()}`;

/** A request through the API with a request id of its own, so that its audit rows can be found. */
export function auditedCall(test: TestApp, method: Method, path: string, token: string, body?: object) {
  const requestId = newRequestId();
  const pending = test.http()[method](path).set(auth(token)).set('X-Request-Id', requestId);
  return { requestId, response: (body ? pending.send(body) : pending) as Promise<Response> };
}

export const auditRowsOf = (test: TestApp, requestId: string): Promise<AuditRow[]> =>
  test.app.get(DataSource).query(`SELECT * FROM audit_log WHERE request_id = $1`, [requestId]);

/**
 * The one row of a request. Refusals by guards and errors are written as the response closes,
 * a moment after the client has it, so this waits for the row; then there must be exactly one.
 */
export async function auditRowOf(test: TestApp, requestId: string): Promise<AuditRow> {
  const rows = await waitFor(async () => {
    const found = await auditRowsOf(test, requestId);
    return found.length ? found : undefined;
  }, 10_000, `the audit row of ${requestId}`);
  expect(rows).toHaveLength(1);
  return rows[0];
}
