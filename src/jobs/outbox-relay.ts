import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { JobOutbox, OutboxEntry } from '../persistence/job-outbox';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRegistry } from '../queue-store/queue-registry';
import { TenantJobIndex } from '../queue-store/tenant-job-index';

const BATCH = 500;

/**
 * Moves outbox entries to Redis: right after a commit that left some (wake), and on a sweep
 * that catches what a crash left behind. An entry is taken (deleted) in the transaction that
 * adds its job, which commits only after the add, so a crash between the two re-adds it: Bull
 * ignores an add for an id it still holds, and the job's record or idempotency key answers a
 * re-delivery of finished work.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger(OutboxRelay.name);
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly config: AppConfig,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: JobOutbox,
    private readonly queues: QueueRegistry,
    private readonly scheduler: SchedulerRegistry,
    private readonly tenantJobs: TenantJobIndex,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    const timer = setInterval(() => this.wake(), this.config.outboxRelayIntervalMs);
    this.scheduler.addInterval('outbox-relay', timer);
    this.wake();
  }

  /** Starts a relay pass now, or right after the one under way. Never throws. */
  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error) => this.logger.error({ err: error }, 'Outbox relay failed; the next sweep will try again'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Relays until the outbox is empty or another process holds the relay; answers how many. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await this.relayBatch();
      total += relayed ?? 0;
      if (relayed === null || relayed < BATCH) return total;
    }
  }

  /** One batch, in one transaction with the lock; null when another relay pass holds it. */
  private async relayBatch(): Promise<number | null> {
    const outcome = await this.locks.runExclusive('outbox-relay', async (manager) => {
      const entries = await this.outbox.takeIn(manager, BATCH);
      for (const [queue, group] of groupByQueue(entries)) {
        const added = await this.queues.get(queue).addBulk(group.map((entry) => ({ name: entry.envelope.type, data: entry.envelope, opts: entry.options })));
        await this.tenantJobs.add(queue, added);
      }
      if (entries.length) this.logger.debug({ jobs: entries.length }, 'Relayed outbox entries');
      return entries.length;
    });
    return outcome.ran ? outcome.value : null;
  }
}

function groupByQueue(entries: OutboxEntry[]): Map<QueueName, OutboxEntry[]> {
  const groups = new Map<QueueName, OutboxEntry[]>();
  for (const entry of entries) groups.set(entry.queue, [...(groups.get(entry.queue) ?? []), entry]);
  return groups;
}
