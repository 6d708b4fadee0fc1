import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

export class LivenessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ description: 'Process uptime, seconds' }) uptimeSeconds: number;
}

export class DependencyHealthView {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiPropertyOptional({ description: 'How long the check took, ms (when up)' }) latencyMs?: number;
  @ApiPropertyOptional({ description: 'Why it is down: a timeout or an error code, never a URL or credential', example: 'no answer within 2000 ms' })
  reason?: string;
}

export class ProviderHealthView {
  @ApiProperty({ enum: ['up', 'down', 'sandbox', 'disabled'], description: 'sandbox and disabled providers are not called' })
  status: 'up' | 'down' | 'sandbox' | 'disabled';

  @ApiProperty({ enum: ['live', 'sandbox', 'disabled'] }) mode: 'live' | 'sandbox' | 'disabled';
  @ApiPropertyOptional() latencyMs?: number;
  @ApiPropertyOptional({ example: 'unreachable (ECONNREFUSED)' }) reason?: string;
}

export class ProvidersHealthView {
  @ApiProperty({ type: ProviderHealthView }) stripe: ProviderHealthView;
  @ApiProperty({ type: ProviderHealthView, description: 'The Solana RPC node' }) solana: ProviderHealthView;
  @ApiProperty({ type: ProviderHealthView, description: 'The SMTP server' }) email: ProviderHealthView;
}

const dependencies = (description: string) =>
  ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(DependencyHealthView) }, description });

export class ReadinessView {
  @ApiProperty({ enum: ['ok', 'error'], description: 'error (and 503) when Redis or PostgreSQL is down' })
  status: 'ok' | 'error';

  @dependencies('The required dependencies that are up') info: Record<string, DependencyHealthView>;
  @dependencies('The required dependencies that are down') error: Record<string, DependencyHealthView>;
  @dependencies('Every required dependency: redis, postgres') details: Record<string, DependencyHealthView>;

  @ApiProperty({ type: ProvidersHealthView, description: 'Reported, not required: a provider outage is every instance\'s, and breakers defer its jobs' })
  providers: ProvidersHealthView;
}

const STEP = { enum: ['done', 'pending', 'not-applicable'] } as const;

export class StartupView {
  @ApiProperty({ enum: ['ok', 'error'] }) status: 'ok' | 'error';
  @ApiProperty({ ...STEP, description: 'Every migration is applied' }) migrations: string;
  @ApiProperty({ ...STEP, description: 'The Bull queues are connected' }) queues: string;
  @ApiProperty({ ...STEP, description: "Start-up recovery's first pass has finished (not-applicable without workers)" }) recovery: string;
}
