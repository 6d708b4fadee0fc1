import type { JobOptions } from 'bull';
import type { QueueName } from '../job-definitions/queue-names';

export interface QueueDefinition {
  /** How many jobs one worker process runs at once on this queue, unless WORKER_CONCURRENCY_<QUEUE> says otherwise. */
  concurrency: number;
  defaultJobOptions: JobOptions;
}

/**
 * Per-queue worker concurrency and Redis retention. Finished jobs stay in Redis for a bounded
 * count: PostgreSQL holds the durable record of persisted jobs. Attempts and backoff are per
 * job type (retry-strategies.config.ts).
 */
export const QUEUE_DEFINITIONS: Record<QueueName, QueueDefinition> = {
  money: {
    concurrency: 50,
    defaultJobOptions: {
      removeOnComplete: { count: 5_000 },
      removeOnFail: { count: 10_000 },
    },
  },
  communication: {
    concurrency: 20,
    defaultJobOptions: {
      removeOnComplete: { count: 2_000 },
      removeOnFail: { count: 5_000 },
    },
  },
  background: {
    concurrency: 20,
    defaultJobOptions: {
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 2_000 },
    },
  },
};
