import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { QUEUE_NAMES, QueueName } from '../job-definitions/queue-names';

export type JobQueue = Queue<JobEnvelope>;

type BullConnection = 'client' | 'eclient' | 'bclient';
const BULL_CONNECTIONS: BullConnection[] = ['client', 'eclient', 'bclient'];

/** The three Bull queues, by name. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly queues: Record<QueueName, JobQueue>;

  constructor(
    private readonly config: AppConfig,
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

  /** On a cluster Bull's connections are ours (bull.config.ts): closed once each queue has closed. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.config.redis.clusterNodes) return;
    await Promise.all(
      this.all().map(async ({ queue }) => {
        await queue.close().catch(() => undefined);
        // Bull's typings name only `client`; `eclient` and `bclient` exist once their flag is set.
        const made = queue as unknown as Record<`${BullConnection}Initialized`, boolean | undefined> & Record<BullConnection, { disconnect(): void }>;
        for (const connection of BULL_CONNECTIONS) if (made[`${connection}Initialized`]) made[connection].disconnect();
      }),
    );
  }
}
