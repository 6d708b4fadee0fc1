import type { JobCounts } from 'bull';
import { QUEUE_NAMES, QueueName } from '../../src/job-definitions/queue-names';
import { JobQueue, QueueRegistry } from '../../src/queue-store/queue-registry';
import type { TestApp } from './test-app';

const TERMINAL = ['completed', 'failed', 'cancelled'];

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface JobBody {
  id: string;
  status: string;
  attempts: number;
  result: Record<string, unknown> | null;
  error: { type: string; message: string; permanent: boolean } | null;
  [key: string]: unknown;
}

/** Waits until the job has finished (completed, failed or cancelled) and returns its view. */
export function waitForJobToFinish(test: TestApp, token: string, id: string, timeoutMs?: number): Promise<JobBody> {
  return waitFor(
    async () => {
      const response = await test.http().get(`/jobs/${id}`).set('Authorization', `Bearer ${token}`);
      if (response.status !== 200) throw new Error(`GET /jobs/${id} answered ${response.status}`);
      return TERMINAL.includes(response.body.status) ? (response.body as JobBody) : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  );
}

/** Bull's state of a job once its worker has let go of it (the record is final a moment earlier). */
export function settledBullJob(test: TestApp, queue: QueueName, id: string): Promise<{ state: string | undefined; attemptsMade: number }> {
  return waitFor(async () => {
    const bull = test.app.get(QueueRegistry).get(queue);
    const state = await (await bull.getJob(id))?.getState();
    // Bull's getState asks completed, failed, delayed, active… one after another, so a job moving
    // out of active between two of those checks reads as `stuck`: not settled either.
    if (!state || state === 'active' || state === 'stuck') return undefined;
    // Read again after the state: Bull writes attemptsMade with the move out of active, so a copy
    // read before it may be older than the state.
    const job = await bull.getJob(id);
    return job ? { state, attemptsMade: job.attemptsMade } : undefined;
  }, 5_000, `Bull to settle job ${id}`);
}

type IdleQueue = Pick<JobQueue, 'getJobCounts' | 'on' | 'removeListener'>;
/** Bull publishes these when a job leaves a queue, or the queue runs dry: each is a moment to count again. */
const SETTLING_EVENTS = ['global:drained', 'global:completed', 'global:failed'] as const;

/**
 * Resolves once each named queue of the app holds no waiting, paused, active or delayed job.
 * Counts are read again whenever Bull publishes a finished job or a drained queue, and a last
 * time at the timeout. Call it only after adding jobs: a queue already idle proves nothing.
 */
export async function waitForQueuesIdle(
  test: TestApp,
  queues: readonly QueueName[] = QUEUE_NAMES,
  timeoutMs = 15_000,
): Promise<void> {
  const registry = test.app.get(QueueRegistry);
  await Promise.all(queues.map((name) => untilIdle(registry.get(name), name, timeoutMs)));
}

async function untilIdle(queue: IdleQueue, name: QueueName, timeoutMs: number): Promise<void> {
  let wake: () => void = () => undefined;
  const listener = () => wake();
  for (const event of SETTLING_EVENTS) queue.on(event, listener);
  try {
    // Bull subscribes to its event channel asynchronously: an event published before that is
    // missed, so the first count is read only once the subscriptions are live.
    await Promise.all(SETTLING_EVENTS.map((event) => subscribed(queue, event)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const settled = new Promise<void>((resolve) => (wake = resolve));
      const busy = await busyCounts(queue);
      if (!busy) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for queue ${name} to go idle: ${busy}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  } finally {
    for (const event of SETTLING_EVENTS) queue.removeListener(event, listener);
  }
}

/** The queue's jobs that are still to run or running, as `state=count` text, or '' when there are none. */
async function busyCounts(queue: IdleQueue): Promise<string> {
  // Bull counts paused jobs too, though its typings leave the field out.
  const counts = (await queue.getJobCounts()) as JobCounts & { paused?: number };
  const busy = { waiting: counts.waiting, paused: counts.paused ?? 0, active: counts.active, delayed: counts.delayed };
  return Object.entries(busy)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${state}=${count}`)
    .join(', ');
}

/** Bull 4's own promise for an event's Redis subscription (`queue.on` starts it but drops it). */
function subscribed(queue: IdleQueue, event: string): Promise<unknown> {
  const register = (queue as unknown as { _registerEvent?: (event: string) => Promise<unknown> })._registerEvent;
  if (typeof register !== 'function') throw new Error('Bull no longer exposes Queue#_registerEvent: waitForQueuesIdle needs another way to await its subscriptions');
  return register.call(queue, event);
}
