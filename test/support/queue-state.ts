import { DataSource } from 'typeorm';
import { QUEUE_NAMES } from '../../src/job-definitions/queue-names';
import { auth } from './job-requests';
import { newTenant, TestApp } from './test-app';

const COUNT_NAMES = ['active', 'completed', 'delayed', 'failed', 'waiting'];

/** The body of a queue's status: its name, paused state and every count. */
export function expectQueueStatus(body: unknown, name: string): void {
  expect(body).toEqual({
    name,
    paused: expect.any(Boolean),
    counts: Object.fromEntries(COUNT_NAMES.map((count) => [count, expect.any(Number)])),
  });
}

/** The paused state a queue has on record, which every app re-applies at start-up. */
export async function queueRow(test: TestApp, name: string): Promise<{ paused: boolean; paused_at: Date | null }> {
  const [row] = await test.app.get(DataSource).query(`SELECT paused, paused_at FROM queues WHERE name = $1`, [name]);
  return row;
}

/** Puts every queue back to running, in Redis and on record, whatever a failed test left behind. */
export async function resumeAll(test: TestApp): Promise<void> {
  const admin = newTenant().admin;
  for (const name of QUEUE_NAMES) await test.http().post(`/queues/${name}/resume`).set(auth(admin));
}
