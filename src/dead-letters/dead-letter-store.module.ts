import { Module } from '@nestjs/common';
import { AlertsModule } from '../monitoring/alerts.module';
import { DeadLetterRecorder } from './dead-letter-recorder';

/**
 * The write side of the dead-letter queue, for the JobRunner. It must never import the jobs
 * module (which imports it): the DLQ routes that need JobsService live in DlqModule instead.
 */
@Module({
  imports: [AlertsModule],
  providers: [DeadLetterRecorder],
  exports: [DeadLetterRecorder],
})
export class DeadLetterStoreModule {}
