import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRecord } from './queue-record.entity';

/** Every read and write of the `queues` table (queue metadata; not tenant-owned). */
@Injectable()
export class QueueRecords {
  constructor(@InjectRepository(QueueRecord) private readonly records: Repository<QueueRecord>) {}

  async pausedQueueNames(): Promise<QueueName[]> {
    const paused = await this.records.findBy({ paused: true });
    return paused.map((record) => record.name as QueueName);
  }

  async markPaused(name: QueueName): Promise<void> {
    await this.records.update({ name }, { paused: true, pausedAt: new Date() });
  }

  async markResumed(name: QueueName): Promise<void> {
    await this.records.update({ name }, { paused: false, pausedAt: null });
  }
}
