import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertsModule } from '../monitoring/alerts.module';
import { DeadLetterRecorder } from './dead-letter-recorder';
import { DeadLetterJob } from './dead-letter.entity';
import { DeadLetterRepository } from './dead-letter.repository';
import { DlqRetention } from './dlq-retention';

/**
 * The store side of the dead-letter queue: recording entries (for the JobRunner), the table's
 * repository and its retention. It sits below the jobs module; the DLQ routes, which need
 * JobsService, live in DlqModule.
 */
@Module({
  // Crons run through the ScheduleModule.forRoot() of AppModule.
  imports: [AlertsModule, TypeOrmModule.forFeature([DeadLetterJob])],
  providers: [DeadLetterRecorder, DeadLetterRepository, DlqRetention],
  exports: [DeadLetterRecorder, DeadLetterRepository, DlqRetention],
})
export class DeadLetterStoreModule {}
