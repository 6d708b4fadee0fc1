import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BullQueuesModule } from './bull.config';
import { QueueRecord } from './queue-record.entity';
import { QueueRecords } from './queue-records';
import { QueueRegistry } from './queue-registry';
import { TenantJobIndex } from './tenant-job-index';

/** The Bull queues and the `queues` table, for every module that adds, reads or pauses jobs. */
@Module({
  imports: [BullQueuesModule, TypeOrmModule.forFeature([QueueRecord])],
  providers: [QueueRegistry, QueueRecords, TenantJobIndex],
  exports: [QueueRegistry, QueueRecords, TenantJobIndex],
})
export class QueueStoreModule {}
