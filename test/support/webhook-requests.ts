import { DataSource } from 'typeorm';
import type { TestApp } from './test-app';
import { waitFor } from './wait-for';
import type { WebhookReceiver } from './webhook-receiver';

export interface JobRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  parent_job_id: string | null;
  result: Record<string, unknown> | null;
  error: { type: string; message: string; permanent: boolean } | null;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * Creates an endpoint of the token's tenant through the API and answers it with its secret.
 * Given a receiver, the endpoint posts to it and the receiver learns the secret to verify with.
 */
export async function createEndpoint(
  test: TestApp,
  token: string,
  target: WebhookReceiver | string,
  events: string[],
): Promise<{ id: string; secret: string }> {
  const url = typeof target === 'string' ? target : target.url();
  const { body } = await test.http().post('/webhook-endpoints').set('Authorization', `Bearer ${token}`).send({ url, events }).expect(201);
  if (typeof target !== 'string') target.secret = body.secret;
  return { id: body.id, secret: body.secret };
}

/** The endpoint's recorded attempts through the API, newest first. */
export async function deliveriesOf(test: TestApp, token: string, endpointId: string) {
  const { body } = await test.http().get(`/webhook-endpoints/${endpointId}/deliveries`).set('Authorization', `Bearer ${token}`).expect(200);
  return body as { items: Array<Record<string, unknown>>; total: number };
}

export function jobRows(test: TestApp, where: string, parameters: unknown[]): Promise<JobRow[]> {
  return test.app.get(DataSource).query(
    `SELECT id, type, status, attempts, parent_job_id, result, error FROM jobs WHERE ${where} ORDER BY created_at, id`, parameters);
}

/** The job's follow-ups once the job has completed and every follow-up has finished. */
export function finishedFollowUpsOf(test: TestApp, parentId: string, timeoutMs = 15_000): Promise<JobRow[]> {
  return waitFor(async () => {
    const [parent] = await jobRows(test, 'id = $1', [parentId]);
    if (!parent || !TERMINAL.includes(parent.status)) return undefined;
    const children = await jobRows(test, 'parent_job_id = $1', [parentId]);
    return children.every((child) => TERMINAL.includes(child.status)) ? children : undefined;
  }, timeoutMs, `job ${parentId} and its follow-ups to finish`);
}

/** The one follow-up of `type` a job has, once it exists. */
export function followUpOf(test: TestApp, parentId: string, type: string, timeoutMs = 15_000): Promise<JobRow> {
  return waitFor(async () => {
    const [child] = await jobRows(test, 'parent_job_id = $1 AND type = $2', [parentId, type]);
    return child;
  }, timeoutMs, `a ${type} follow-up of job ${parentId}`);
}
