import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { QueuesController } from './queues.controller';
import { QueuesService } from './queues.service';

/** The queue routes; the queues themselves live in QueueStoreModule. */
@Module({
  imports: [QueueStoreModule, PersistenceModule],
  controllers: [QueuesController],
  providers: [QueuesService],
  exports: [QueuesService],
})
export class QueuesModule {}
