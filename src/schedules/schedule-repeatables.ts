import { Injectable } from '@nestjs/common';
import type { JobType } from '../job-definitions/job-types';
import type { QueueName } from '../job-definitions/queue-names';
import { SystemSubmissions } from '../jobs/system-submissions';
import { QueueRegistry } from '../queue-store/queue-registry';
import type { Schedule } from './schedule.entity';

// No colon: Bull splits a repeatable's key on colons to tell its id again.
const KEY_PREFIX = 'schedule-';

/** The Bull repeatable of a schedule is keyed by its id: `schedule-<id>`. */
export function repeatKeyOf(scheduleId: string): string {
  return `${KEY_PREFIX}${scheduleId}`;
}

/** The schedule id in a repeatable's key, or null for a key that is not a schedule's. */
export function scheduleIdOf(key: string): string | null {
  return key.startsWith(KEY_PREFIX) ? key.slice(KEY_PREFIX.length) : null;
}

interface Repeatable {
  queue: QueueName;
  /** Bull's key of the repeatable (name, id, zone, cron): what removes it. */
  bullKey: string;
  id: string;
  cron: string;
  tz: string | null;
}

/**
 * The Bull side of schedules. Bull keeps one repeatable per key, zone and cron, so every process
 * may add the same one: a deployment fires each tick once.
 */
@Injectable()
export class ScheduleRepeatables {
  constructor(
    private readonly queues: QueueRegistry,
    private readonly submissions: SystemSubmissions,
  ) {}

  async add(schedule: Schedule): Promise<void> {
    await this.submissions.repeat(
      { tenantId: schedule.tenantId, origin: 'schedule', type: schedule.jobType as JobType, data: schedule.jobData },
      { key: repeatKeyOf(schedule.id), cron: schedule.cron, tz: schedule.timezone },
    );
  }

  /** Removes every repeatable under `id`, with its pending tick. */
  async remove(id: string, keep?: { cron: string; tz: string }): Promise<void> {
    for (const repeatable of await this.list()) {
      if (repeatable.id !== id) continue;
      if (keep && repeatable.cron === keep.cron && (repeatable.tz ?? 'UTC') === keep.tz) continue;
      await this.queues.get(repeatable.queue).removeRepeatableByKey(repeatable.bullKey);
    }
  }

  /** Every queue's repeatables. */
  async list(): Promise<Repeatable[]> {
    const perQueue = await Promise.all(
      this.queues.all().map(async ({ name, queue }) =>
        (await queue.getRepeatableJobs()).map((job) => ({ queue: name, bullKey: job.key, id: job.id ?? '', cron: job.cron, tz: job.tz ?? null })),
      ),
    );
    return perQueue.flat();
  }
}
