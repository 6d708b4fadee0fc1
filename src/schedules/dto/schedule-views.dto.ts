import { ApiProperty } from '@nestjs/swagger';
import { clientJobTypes } from '../../job-definitions/job-types';
import { MISSED_TICK_POLICIES, MissedTickPolicy, SCHEDULE_OUTCOMES, ScheduleOutcome } from '../schedule.entity';

export class ScheduleView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'nightly-analytics' })
  name: string;

  @ApiProperty({ example: '0 30 2 * * *' })
  cron: string;

  @ApiProperty({ example: 'Europe/Berlin' })
  timezone: string;

  @ApiProperty({ enum: clientJobTypes() })
  jobType: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  jobData: Record<string, unknown>;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ enum: MISSED_TICK_POLICIES })
  missedTickPolicy: MissedTickPolicy;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the latest tick was due' })
  lastRunAt: Date | null;

  @ApiProperty({
    nullable: true, type: String, enum: SCHEDULE_OUTCOMES,
    description: "The latest tick's job: submitted, then completed or failed (for good); skipped for a missed tick the policy skipped",
  })
  lastOutcome: ScheduleOutcome | null;

  @ApiProperty({ nullable: true, type: String, description: "The latest tick's job id (GET /jobs/:id for persisted types)" })
  lastJobId: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'The next tick in its time zone; null when disabled' })
  nextRunAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;
}

export class SchedulePage {
  @ApiProperty({ type: [ScheduleView], description: 'Oldest first' })
  items: ScheduleView[];

  @ApiProperty({ description: 'Schedules in all pages' })
  total: number;

  @ApiProperty()
  limit: number;

  @ApiProperty()
  offset: number;
}
