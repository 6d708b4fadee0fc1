import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { EffectJournal } from './effect-journal';
import { JobAttempts } from './job-attempts';
import { JobRecord } from './job-record.entity';
import { JobRecords } from './job-records';

@Module({
  imports: [IdempotencyModule, TypeOrmModule.forFeature([JobRecord])],
  providers: [JobRecords, JobAttempts, EffectJournal],
  exports: [JobRecords, JobAttempts, EffectJournal],
})
export class PersistenceModule {}
