import { DeadLetterJob } from '../../dlq/dead-letter.entity';
import { AlertRecord } from '../../monitoring/alert-record.entity';
import { JobRecord } from './job-record.entity';
import { QueueRecord } from './queue-record.entity';

export { JobRecord, QueueRecord };
export const ENTITIES = [JobRecord, QueueRecord, DeadLetterJob, AlertRecord];
