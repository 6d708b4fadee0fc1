import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { QUEUE_NAMES, QueueName } from '../job-definitions/queue-names';

export type JobQueue = Queue<JobEnvelope>;

/** The three Bull queues, by name. */
@Injectable()
export class QueueRegistry {
  private readonly queues: Record<QueueName, JobQueue>;

  constructor(
    @InjectQueue('money') money: JobQueue,
    @InjectQueue('communication') communication: JobQueue,
    @InjectQueue('background') background: JobQueue,
  ) {
    this.queues = { money, communication, background };
  }

  get(name: QueueName): JobQueue {
    return this.queues[name];
  }

  all(): { name: QueueName; queue: JobQueue }[] {
    return QUEUE_NAMES.map((name) => ({ name, queue: this.queues[name] }));
  }
}
