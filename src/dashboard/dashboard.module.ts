import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import { BULL_BOARD_ADAPTER, BULL_BOARD_INSTANCE, BullBoardModule, BullBoardModuleOptions } from '@bull-board/nestjs';
import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { QueueRegistry } from '../queue-store/queue-registry';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { DashboardAccessModule } from './dashboard-access.module';
import { DashboardGate } from './dashboard-gate';
import { DashboardSessionController } from './dashboard-session.controller';
import { DASHBOARD_PATH } from './dashboard-sessions';
import { ServiceRulesBullAdapter } from './service-rules-bull-adapter';

type BullBoard = ReturnType<typeof createBullBoard>;
// @bull-board/express 9.10.1 declares its types against its own copy of @bull-board/api (9.10.1);
// at run time it imports only express and ejs, so the 9.10.2 board drives it unchanged.
const EXPRESS_SERVER = ExpressAdapter as unknown as BullBoardModuleOptions['adapter'];

/** bull-board for the three queues at /admin/queues, behind DashboardGate. */
@Module({
  imports: [
    QueueStoreModule,
    DashboardAccessModule,
    BullBoardModule.forRootAsync({
      imports: [DashboardAccessModule],
      inject: [DashboardGate],
      useFactory: (gate: DashboardGate) => ({
        route: DASHBOARD_PATH,
        adapter: EXPRESS_SERVER,
        middleware: gate.handlers(),
        boardOptions: { uiConfig: { boardTitle: 'Queue Service' } },
      }),
    }),
  ],
  controllers: [DashboardSessionController],
})
export class DashboardModule implements OnModuleInit {
  constructor(
    private readonly queues: QueueRegistry,
    @Inject(BULL_BOARD_INSTANCE) private readonly board: BullBoard,
    @Inject(BULL_BOARD_ADAPTER) private readonly server: ExpressAdapter,
  ) {}

  onModuleInit(): void {
    for (const { queue } of this.queues.all()) this.board.addQueue(new ServiceRulesBullAdapter(queue));
    // bull-board's own handler sends the stack trace along when NODE_ENV=development.
    this.server.setErrorHandler((error: Error & { statusCode?: number }) => {
      const known = error.statusCode !== undefined && error.statusCode < 500;
      return {
        status: known ? (error.statusCode as 405) : 500,
        body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: known ? error.message : 'Internal server error' },
      };
    });
  }
}
