import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { EffectJournal } from './effect-journal';
import { JobAttempts } from './job-attempts';
import { JobOutbox } from './job-outbox';
import { JobRecords } from './job-records';

@Module({
  imports: [IdempotencyModule],
  providers: [JobRecords, JobAttempts, EffectJournal, JobOutbox],
  exports: [JobRecords, JobAttempts, EffectJournal, JobOutbox],
})
export class PersistenceModule {}
