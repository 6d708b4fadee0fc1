import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job } from 'bull';
import { DataSource } from 'typeorm';
import type { JobEnvelope } from '../../src/job-definitions/job-envelope';
import { JOB_EVENTS, JobCompletedEvent } from '../../src/job-definitions/job-events';
import { JobRunner } from '../../src/jobs/job-runner';
import type { TestApp } from './test-app';
import { waitFor } from './wait-for';

export type RunOutcome = { settled: 'resolved'; value: object } | { settled: 'rejected'; error: unknown };

/**
 * Watches one app's real JobRunner: every delivery it starts and how each one ends. The
 * runner's own code runs unchanged; the watch only notes the promise it returns. It lets a
 * test wait for a stale attempt's own outcome instead of for something else to be true.
 */
export class RunWatch {
  private readonly runs: { jobId: string; outcome?: RunOutcome }[] = [];
  readonly completions: string[] = [];

  constructor(test: TestApp) {
    const runner = test.app.get(JobRunner);
    const original = runner.run.bind(runner);
    runner.run = (job: Job<JobEnvelope>) => {
      const entry: { jobId: string; outcome?: RunOutcome } = { jobId: String(job.id) };
      this.runs.push(entry);
      const running = original(job);
      running.then(
        (value) => (entry.outcome = { settled: 'resolved', value }),
        (error: unknown) => (entry.outcome = { settled: 'rejected', error }),
      );
      return running;
    };
    test.app.get(EventEmitter2).on(JOB_EVENTS.completed, (event: JobCompletedEvent) => this.completions.push(event.jobId));
  }

  /** How many deliveries of the job this app has started. */
  started(jobId: string): number {
    return this.runs.filter((run) => run.jobId === jobId).length;
  }

  /** Resolves once this app has started its nth delivery of the job (1-based). */
  whenStarted(jobId: string, nth = 1, timeoutMs = 15_000): Promise<true> {
    return waitFor(async () => (this.started(jobId) >= nth ? true : undefined), timeoutMs, `delivery ${nth} of ${jobId}`);
  }

  /** Resolves with the outcome of this app's nth delivery of the job once it has ended. */
  settled(jobId: string, nth = 1, timeoutMs = 15_000): Promise<RunOutcome> {
    return waitFor(
      async () => this.runs.filter((run) => run.jobId === jobId)[nth - 1]?.outcome,
      timeoutMs,
      `delivery ${nth} of ${jobId} to end`,
    );
  }

  completionsOf(jobId: string): number {
    return this.completions.filter((id) => id === jobId).length;
  }
}

type AsyncMethod = (...args: never[]) => Promise<unknown>;
type AsyncMethodName<T> = { [K in keyof T]: T[K] extends AsyncMethod ? K : never }[keyof T] & string;

/**
 * Notes how each call of one async method of a real instance ends (e.g. a stale app's
 * `JobAttempts.fail` or `EffectJournal.record`); the method itself runs unchanged.
 */
export class CallWatch<T extends object> {
  private readonly outcomes: (RunOutcome | undefined)[] = [];

  constructor(instance: T, method: AsyncMethodName<T>) {
    const original = (instance[method] as AsyncMethod).bind(instance);
    const watched = (...args: never[]) => {
      const index = this.outcomes.push(undefined) - 1;
      const call = original(...args);
      call.then(
        (value) => (this.outcomes[index] = { settled: 'resolved', value: value as object }),
        (error: unknown) => (this.outcomes[index] = { settled: 'rejected', error }),
      );
      return call;
    };
    Object.assign(instance, { [method]: watched });
  }

  get calls(): number {
    return this.outcomes.length;
  }

  /** Resolves with how the nth call (1-based) ended, once it has. */
  settled(nth = 1, timeoutMs = 15_000): Promise<RunOutcome> {
    return waitFor(async () => this.outcomes[nth - 1], timeoutMs, `call ${nth} to end`);
  }
}

export interface RecordSnapshot {
  status: string;
  result: object | null;
  error: object | null;
  attempts: number;
  fence: string;
  lease_owner: string | null;
  updated_at: Date;
  finished_at: Date | null;
}

/** What the record and the effect journal say about a job, to compare before and after. */
export async function snapshot(db: DataSource, jobId: string): Promise<{ record: RecordSnapshot; journal: object[] }> {
  const [record] = await db.query(
    `SELECT status, result, error, attempts, fence, lease_owner, updated_at, finished_at FROM jobs WHERE id = $1`,
    [jobId],
  );
  const journal = await db.query(
    `SELECT step, details, fence, recorded_at FROM critical_jobs WHERE job_id = $1 ORDER BY step`,
    [jobId],
  );
  return { record, journal };
}
