import { ApiProperty } from '@nestjs/swagger';

/** A dashboard session just opened; its cookie travels in Set-Cookie, never in the body. */
export class DashboardSessionView {
  @ApiProperty({ example: '/admin/queues', description: 'Open this path in the same browser within the lifetime' })
  dashboardPath: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the cookie lapses; open a new session after' })
  expiresAt: string;
}
