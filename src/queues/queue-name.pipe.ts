import { NotFoundException, PipeTransform } from '@nestjs/common';
import { isQueueName, QueueName } from '../job-definitions/queue-names';

export class ParseQueueNamePipe implements PipeTransform<string, QueueName> {
  transform(value: string): QueueName {
    if (!isQueueName(value)) throw new NotFoundException(`Queue ${value} not found`);
    return value;
  }
}
