import { BullModule } from '@nestjs/bull';
import { AppConfig } from '../config/app-config';
import { redisOptionsFromUrl, REQUEST_CONNECTION_OPTIONS } from '../database/redis-connection';
import { QUEUE_DEFINITIONS } from '../config/queues.config';
import { JOB_BACKOFF, jobBackoff } from '../job-definitions/retry-backoff';
import { QUEUE_NAMES } from '../job-definitions/queue-names';

export const BullRootModule = BullModule.forRootAsync({
  inject: [AppConfig],
  useFactory: (config: AppConfig) => ({
    // Bull's command client takes these; its blocking client and subscriber keep waiting for
    // Redis (Bull sets their maxRetriesPerRequest to null) and reconnect on the same schedule.
    redis: { ...redisOptionsFromUrl(config.redis.url), ...REQUEST_CONNECTION_OPTIONS },
    prefix: `${config.redis.prefix}:bull`,
    settings: {
      lockDuration: config.bull.lockDurationMs,
      stalledInterval: config.bull.stalledIntervalMs,
      backoffStrategies: { [JOB_BACKOFF]: jobBackoff },
    },
  }),
});

export const BullQueuesModule = BullModule.registerQueue(
  ...QUEUE_NAMES.map((name) => ({ name, defaultJobOptions: QUEUE_DEFINITIONS[name].defaultJobOptions })),
);
