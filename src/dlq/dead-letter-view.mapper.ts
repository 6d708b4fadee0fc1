import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import type { DeadLetterJob } from '../dead-letters/dead-letter.entity';
import type { DeadLetterView } from './dto/dlq-views.dto';
import type { DeadLetterFilter } from '../dead-letters/dead-letter.repository';
import type { DlqFilterDto } from './dto/dlq-filter.dto';

export function viewOfEntry(entry: DeadLetterJob): DeadLetterView {
  return {
    id: entry.id,
    jobId: entry.jobId,
    queue: entry.queue,
    type: entry.type,
    data: entry.data,
    idempotencyKey: entry.idempotencyKey,
    errorType: entry.errorType,
    errorMessage: entry.errorMessage,
    attempts: entry.attempts,
    firstFailedAt: entry.firstFailedAt,
    lastFailedAt: entry.lastFailedAt,
    createdAt: entry.createdAt,
  };
}

/** Validated query strings to the repository's filter (dates parsed). */
export function filterOf(dto: DlqFilterDto = {}): DeadLetterFilter {
  return {
    queue: dto.queue,
    type: dto.type,
    errorType: dto.errorType,
    from: parseIsoTimestamp(dto.from),
    to: parseIsoTimestamp(dto.to),
  };
}
