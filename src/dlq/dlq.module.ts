import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobsModule } from '../jobs/jobs.module';
import { DeadLetterRepository } from './dead-letter.repository';
import { DlqConfig } from './dlq.config';
import { DlqController } from './dlq.controller';
import { DlqExporter } from './dlq-exporter';
import { DlqRetention } from './dlq-retention';
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
    // AppConfig is injected only so that .env has been loaded into process.env first.
    { provide: DlqConfig, inject: [AppConfig], useFactory: () => DlqConfig.fromEnvironment(process.env) },
  ],
})
export class DlqModule {}
