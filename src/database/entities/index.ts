import { DeadLetterJob } from '../../dead-letters/dead-letter.entity';
import { AlertRecord } from '../../monitoring/alert-record.entity';
import { JobRecord } from '../../persistence/job-record.entity';
import { QueueRecord } from '../../queue-store/queue-record.entity';

export { JobRecord, QueueRecord };
export const ENTITIES = [JobRecord, QueueRecord, DeadLetterJob, AlertRecord];
