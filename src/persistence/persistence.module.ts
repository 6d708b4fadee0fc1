import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { EffectJournal } from './effect-journal';
import { JobAttempts } from './job-attempts';
import { JobRecords } from './job-records';

@Module({
  imports: [IdempotencyModule],
  providers: [JobRecords, JobAttempts, EffectJournal],
  exports: [JobRecords, JobAttempts, EffectJournal],
})
export class PersistenceModule {}
