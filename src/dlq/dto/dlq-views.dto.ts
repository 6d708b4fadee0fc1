import { ApiProperty } from '@nestjs/swagger';
export class DeadLetterView {
  @ApiProperty({ format: 'uuid', description: 'The dead-letter entry' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The job that failed; a retry runs it again under this id' })
  jobId: string;

  @ApiProperty({ example: 'money' })
  queue: string;

  @ApiProperty({ example: 'payment-process' })
  type: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;

  @ApiProperty({ nullable: true, type: String })
  idempotencyKey: string | null;

  @ApiProperty({ example: 'card_declined' })
  errorType: string;

  @ApiProperty({ example: 'Your card was declined (generic_decline).' })
  errorMessage: string;

  @ApiProperty({ description: 'Attempts made before the job was dead-lettered' })
  attempts: number;

  @ApiProperty()
  firstFailedAt: Date;

  @ApiProperty()
  lastFailedAt: Date;

  @ApiProperty({ description: 'When the job was dead-lettered' })
  createdAt: Date;
}

export class DeadLetterPage {
  @ApiProperty({ type: [DeadLetterView] })
  items: DeadLetterView[];

  @ApiProperty({ description: 'Matching entries in all pages' })
  total: number;

  @ApiProperty()
  limit: number;

  @ApiProperty()
  offset: number;
}

export class QueueCount {
  @ApiProperty() queue: string;
  @ApiProperty() count: number;
}

export class TypeCount {
  @ApiProperty() type: string;
  @ApiProperty() count: number;
}

export class DeadLetterStats {
  @ApiProperty()
  total: number;

  @ApiProperty({ type: [QueueCount], description: 'Largest first' })
  byQueue: QueueCount[];

  @ApiProperty({ type: [TypeCount], description: 'Largest first' })
  byType: TypeCount[];

  @ApiProperty({ nullable: true, type: Date, description: 'When the oldest entry was dead-lettered' })
  oldestAt: Date | null;

  @ApiProperty({ nullable: true, type: Date, description: 'When the newest entry was dead-lettered' })
  newestAt: Date | null;
}

export class ErrorTypeCount {
  @ApiProperty({ example: 'card_declined' })
  errorType: string;

  @ApiProperty()
  count: number;

  @ApiProperty({ description: 'The latest failure of this type' })
  lastSeenAt: Date;

  @ApiProperty({ description: 'The message of the latest failure of this type' })
  sampleMessage: string;
}

export class FailedRetry {
  @ApiProperty({ format: 'uuid', description: 'The dead-letter entry' })
  id: string;

  @ApiProperty()
  message: string;
}

export class BulkRetryResult {
  @ApiProperty({ type: [String], format: 'uuid', description: 'Ids of the jobs put back in their queues' })
  retried: string[];

  @ApiProperty({ type: [FailedRetry] })
  failed: FailedRetry[];
}
