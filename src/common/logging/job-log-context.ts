import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written during one attempt of a job carries, so one filter finds its story. */
export interface JobLogFields {
  jobId: string;
  type: string;
  queue: string;
  tenantId: string;
  attempt: number;
  traceId?: string;
}

const attempts = new AsyncLocalStorage<JobLogFields>();

/** Runs `work` with `fields` added to each log line it writes, across awaits (pino's mixin reads them). */
export function withJobLogFields<T>(fields: JobLogFields, work: () => Promise<T>): Promise<T> {
  return attempts.run(fields, work);
}

/** The fields of the attempt running in this async context, or none outside a job. */
export function currentJobLogFields(): JobLogFields | Record<string, never> {
  return attempts.getStore() ?? {};
}
