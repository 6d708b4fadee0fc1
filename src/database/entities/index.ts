import { JobRecord } from './job-record.entity';
import { QueueRecord } from './queue-record.entity';

export { JobRecord, QueueRecord };
export const ENTITIES = [JobRecord, QueueRecord];
