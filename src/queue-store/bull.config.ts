import { BullModule } from '@nestjs/bull';
import type { QueueOptions } from 'bull';
import { AppConfig } from '../config/app-config';
import { bullPrefix, connectRedis, reconnectDelayMs, redisOptionsFromUrl, REQUEST_CONNECTION_OPTIONS } from '../database/redis-connection';
import { QUEUE_DEFINITIONS } from '../config/queues.config';
import { JOB_BACKOFF, jobBackoff } from '../job-definitions/retry-backoff';
import { QUEUE_NAMES } from '../job-definitions/queue-names';
import { readFreshJobsWithoutThrowing } from './bull-job-parsing';

/**
 * Bull's connections on a Redis Cluster: it makes three per queue (commands, events, the
 * blocking fetch), and wants the last two to wait for Redis for ever and skip the ready check.
 * Bull does not close connections it did not make; QueueRegistry does.
 */
function clusterClients(config: AppConfig): Pick<QueueOptions, 'createClient'> {
  if (!config.redis.clusterNodes) return {};
  return {
    createClient: (type) =>
      connectRedis(
        config.redis,
        type === 'client' ? REQUEST_CONNECTION_OPTIONS : { maxRetriesPerRequest: null, enableReadyCheck: false, retryStrategy: reconnectDelayMs },
      ),
  };
}

export const BullRootModule = BullModule.forRootAsync({
  inject: [AppConfig],
  useFactory: (config: AppConfig) => {
    readFreshJobsWithoutThrowing();
    return {
      // Bull's command client takes these; its blocking client and subscriber keep waiting for
      // Redis (Bull sets their maxRetriesPerRequest to null) and reconnect on the same schedule.
      redis: { ...redisOptionsFromUrl(config.redis.url), ...REQUEST_CONNECTION_OPTIONS },
      ...clusterClients(config),
      settings: {
        lockDuration: config.bull.lockDurationMs,
        stalledInterval: config.bull.stalledIntervalMs,
        backoffStrategies: { [JOB_BACKOFF]: jobBackoff },
      },
    };
  },
});

/** Each queue's prefix: one per deployment on a single server, one hash tag per queue on a cluster. */
export const BullQueuesModule = BullModule.registerQueueAsync(
  ...QUEUE_NAMES.map((name) => ({
    name,
    inject: [AppConfig],
    useFactory: (config: AppConfig) => ({ prefix: bullPrefix(config.redis, name), defaultJobOptions: QUEUE_DEFINITIONS[name].defaultJobOptions }),
  })),
);
