import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { DeadLetterRepository } from '../dead-letters/dead-letter.repository';
import { DlqController } from './dlq.controller';
import { DlqExporter } from './dlq-exporter';
import { DlqRetention } from '../dead-letters/dlq-retention';
import { DlqService } from './dlq.service';

/** The DLQ routes and retention. Recording entries is DeadLetterStoreModule's job. */
@Module({
  // Crons run through the ScheduleModule.forRoot() of AppModule.
  imports: [JobsModule],
  controllers: [DlqController],
  providers: [
    DlqService,
    DeadLetterRepository,
    DlqExporter,
    DlqRetention,
  ],
})
export class DlqModule {}
