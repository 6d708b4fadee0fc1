import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { QueuesModule } from '../queues/queues.module';
import { DashboardGate } from './dashboard-gate';
import { DashboardSessions } from './dashboard-sessions';

/** Sessions and the gate in front of bull-board; apart so the board's root module can import them. */
@Module({
  imports: [JobsModule, QueuesModule],
  providers: [DashboardSessions, DashboardGate],
  exports: [DashboardSessions, DashboardGate],
})
export class DashboardAccessModule {}
