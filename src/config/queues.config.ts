import type { JobOptions } from 'bull';
import type { QueueName } from '../queues/queue-names';

export interface QueueDefinition {
  /** How many jobs one worker process runs at once on this queue. */
  concurrency: number;
  defaultJobOptions: JobOptions;
}

/**
 * Money work retries longest and keeps its history longest; communication is cheap to
 * repeat; background work is best effort. Finished jobs stay in Redis for a bounded count:
 * PostgreSQL holds the durable record of persisted jobs.
 */
export const QUEUE_DEFINITIONS: Record<QueueName, QueueDefinition> = {
  money: {
    concurrency: 10,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { count: 5_000 },
      removeOnFail: { count: 10_000 },
    },
  },
  communication: {
    concurrency: 20,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { count: 2_000 },
      removeOnFail: { count: 5_000 },
    },
  },
  background: {
    concurrency: 5,
    defaultJobOptions: {
      attempts: 2,
      backoff: { type: 'fixed', delay: 5_000 },
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 2_000 },
    },
  },
};
