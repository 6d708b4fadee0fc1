import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsModule } from '../jobs/jobs.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { ScheduleRepeatables } from './schedule-repeatables';
import { ScheduleStartup } from './schedule-startup';
import { ScheduleTickListener } from './schedule-tick.listener';
import { Schedule } from './schedule.entity';
import { SchedulesController } from './schedules.controller';
import { Schedules } from './schedules.repository';
import { SchedulesService } from './schedules.service';

/** Cron schedules managed through the API, the built-in maintenance repeatables, and their reconciliation with Bull. */
@Module({
  imports: [TypeOrmModule.forFeature([Schedule]), JobsModule, QueueStoreModule],
  controllers: [SchedulesController],
  providers: [Schedules, ScheduleRepeatables, SchedulesService, ScheduleTickListener, ScheduleStartup],
})
export class SchedulesModule {}
