import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';
import { JOB_ORIGINS, JobOrigin } from '../../job-definitions/job-envelope';
import { JOB_STATUSES, JobStatus } from '../../job-definitions/job-status';
import { JOB_TYPE_NAMES, JobType } from '../../job-definitions/job-types';
import { REDACTED } from '../../job-definitions/personal-data';

export class JobSummary {
  @ApiProperty({
    description: 'A UUID. Only a tick of a Redis-only repeatable job (schedules, maintenance), as a queue listing shows it, keeps Bull\'s own `repeat:…` id',
    example: '3f1c0b7e-4a8e-4f51-9d55-1f0e8e0e2a11',
  })
  id: string;

  @ApiProperty({ enum: QUEUE_NAMES })
  queue: QueueName;

  @ApiProperty({ enum: JOB_TYPE_NAMES })
  type: JobType;

  @ApiProperty({ enum: JOB_STATUSES })
  status: JobStatus;
}

export class CancelJobResult extends JobSummary {
  @ApiProperty({ description: 'True when the job was running: it finishes its attempt and is not retried' })
  cancelRequested: boolean;
}

export class JobErrorView {
  @ApiProperty({ example: 'card_declined' })
  type: string;

  @ApiProperty({ example: 'Your card was declined.' })
  message: string;

  @ApiProperty({ description: 'True when the job was not retried because retrying cannot help' })
  permanent: boolean;
}

export class JobView extends JobSummary {
  @ApiProperty({ format: 'uuid', description: 'The tenant the job belongs to (a platform operator\'s queue listing shows every tenant\'s)' })
  tenantId: string;

  @ApiProperty({ description: 'Attempts made so far' })
  attempts: number;

  @ApiProperty({ minimum: 0, maximum: 100 })
  progress: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: `The payload. In a platform operator's view of another tenant's job, its personal-data fields hold "${REDACTED}" (see \`redactedFields\`) unless \`includePersonalData=true\` was asked for`,
  })
  data: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'What the handler returned, once completed (redacted like `data`)' })
  result: unknown;

  @ApiPropertyOptional({
    type: [String],
    example: ['data.customerEmail', 'data.paymentMethodId'],
    description: `Only in a platform operator's view of another tenant's job without \`includePersonalData=true\`: the fields of \`data\` and \`result\` whose value was replaced by "${REDACTED}" (e-mail addresses, phone numbers, message texts, payment methods, customers, recipients' wallets, free text). Absent when nothing was redacted`,
  })
  redactedFields?: string[];

  @ApiProperty({ type: JobErrorView, nullable: true })
  error: JobErrorView | null;

  @ApiProperty({ description: 'Cancellation was asked for while the job was running' })
  cancelRequested: boolean;

  @ApiProperty({ enum: JOB_ORIGINS, description: 'Who asked for the job: a client, a schedule, the service, or a parent job' })
  origin: JobOrigin;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The job whose completion enqueued this one' })
  parentJobId: string | null;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: Date | null;
}

export class BatchResponse {
  @ApiProperty({ type: [JobSummary] })
  jobs: JobSummary[];
}

export class JobPage {
  @ApiProperty({ type: [JobView] })
  items: JobView[];

  @ApiProperty({ description: 'Matching jobs in all pages (for queues kept only in Redis, of the jobs scanned)' })
  total: number;

  @ApiProperty()
  limit: number;

  @ApiProperty()
  offset: number;
}
