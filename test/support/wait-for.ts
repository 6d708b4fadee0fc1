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
