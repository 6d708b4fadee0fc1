import type { ClientJobType } from '../../src/job-definitions/job-types';
import { VALID_PAYLOADS } from './payloads';
import type { newTenant, TestApp } from './test-app';
import type { JobBody } from './wait-for';

export interface SubmittedJob {
  id: string;
  queue: string;
  type: ClientJobType;
  status: string;
}

export interface JobPage {
  items: JobBody[];
  total: number;
  limit: number;
  offset: number;
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * The token of the least role that may submit `type` with its valid payload (JOB_TYPES'
 * submitters): a user where users may; the venue admin for refunds; the platform operator for
 * scheduled tasks and for the valid cleanup, whose target is `all`.
 */
export function submitterToken(tenant: ReturnType<typeof newTenant>, type: ClientJobType): string {
  if (type === 'refund-process') return tenant.venueAdmin;
  if (type === 'scheduled-task' || type === 'cleanup') return tenant.admin;
  return tenant.user;
}

export function submit(test: TestApp, token: string, body: unknown) {
  return test.http().post('/jobs').set(auth(token)).send(body as object);
}

/** Submits a job of `type` (its valid payload unless given) and expects a 201. */
export async function submitOk(
  test: TestApp,
  token: string,
  type: ClientJobType,
  data: object = VALID_PAYLOADS[type],
  options?: object,
): Promise<SubmittedJob> {
  const response = await submit(test, token, { type, data, ...(options ? { options } : {}) });
  expect(response.status).toBe(201);
  return response.body as SubmittedJob;
}

export function getJob(test: TestApp, token: string, id: string) {
  return test.http().get(`/jobs/${id}`).set(auth(token));
}

/** A page of a queue's jobs, as the token's holder sees them. */
export async function listJobs(test: TestApp, token: string, queue: string, query: Record<string, string | number> = {}): Promise<JobPage> {
  const response = await test.http().get(`/queues/${queue}/jobs`).query(query).set(auth(token));
  expect(response.status).toBe(200);
  return response.body;
}

export const idsOf = (page: JobPage) => page.items.map((item) => item.id);

/** Total of a tenant's jobs in a queue, as its own user sees them. */
export async function tenantJobCount(test: TestApp, token: string, queue: string): Promise<number> {
  const response = await test.http().get(`/queues/${queue}/jobs`).set(auth(token)).expect(200);
  return response.body.total;
}
