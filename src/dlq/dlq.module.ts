import { Module } from '@nestjs/common';
import { DeadLetterStoreModule } from '../dead-letters/dead-letter-store.module';
import { JobsModule } from '../jobs/jobs.module';
import { DlqController } from './dlq.controller';
import { DlqExporter } from './dlq-exporter';
import { DlqService } from './dlq.service';
import { ExportSlots } from './export-slots';

/** The DLQ routes. Recording, storing and retention of entries are DeadLetterStoreModule's. */
@Module({
  imports: [JobsModule, DeadLetterStoreModule],
  controllers: [DlqController],
  providers: [DlqService, DlqExporter, ExportSlots],
})
export class DlqModule {}
