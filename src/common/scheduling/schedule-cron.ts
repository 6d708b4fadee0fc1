import type { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';

/**
 * Runs `task` on a cron expression read from configuration (the @Cron decorator only takes one
 * fixed when the class is loaded). The job is in the scheduler's registry, so it stops when the
 * app shuts down; a run that is still going when the next is due is not started twice.
 */
export function scheduleCron(
  scheduler: SchedulerRegistry,
  name: string,
  expression: string,
  task: () => Promise<unknown>,
  logger: Logger,
): void {
  const job = CronJob.from({
    cronTime: expression,
    onTick: async () => {
      await task().catch((error: unknown) => logger.error({ err: error }, `${name} failed; the next run will try again`));
    },
    waitForCompletion: true,
  });
  scheduler.addCronJob(name, job);
  job.start();
}
