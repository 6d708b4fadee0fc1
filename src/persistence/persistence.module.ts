import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { EffectJournal } from './effect-journal';
import { JobAttempts } from './job-attempts';
import { JobOutbox } from './job-outbox';
import { JobRecord } from './job-record.entity';
import { JobRecords } from './job-records';

@Module({
  imports: [IdempotencyModule, TypeOrmModule.forFeature([JobRecord])],
  providers: [JobRecords, JobAttempts, EffectJournal, JobOutbox],
  exports: [JobRecords, JobAttempts, EffectJournal, JobOutbox],
})
export class PersistenceModule {}
