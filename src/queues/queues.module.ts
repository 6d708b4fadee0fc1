import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueRecord } from '../queue-store/queue-record.entity';
import { PersistenceModule } from '../persistence/persistence.module';
import { BullQueuesModule } from '../queue-store/bull.config';
import { QueueRegistry } from '../queue-store/queue-registry';
import { QueuesController } from './queues.controller';
import { QueuesService } from './queues.service';

@Module({
  imports: [BullQueuesModule, PersistenceModule, TypeOrmModule.forFeature([QueueRecord])],
  controllers: [QueuesController],
  providers: [QueueRegistry, QueuesService],
  exports: [QueueRegistry],
})
export class QueuesModule {}
