import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WEBHOOK_AUDIENCE } from '../job-definitions/webhook-audience';
import { WebhookDeliveries } from './webhook-deliveries.repository';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpoints } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEventHandler } from './webhook-event.handler';
import { WebhookGateway } from './webhook.gateway';
import { WebhookHandler } from './webhook.handler';

/**
 * Outbound webhooks: tenants' endpoints and their routes, the fan-out of events and signed
 * deliveries. Global for one provider only: `WEBHOOK_AUDIENCE`, which `jobs/` (a lower layer)
 * injects by its token.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery])],
  controllers: [WebhookEndpointsController],
  providers: [
    WebhookEndpoints, WebhookDeliveries, WebhookEndpointsService, WebhookGateway, WebhookEventHandler, WebhookHandler,
    { provide: WEBHOOK_AUDIENCE, useExisting: WebhookEndpoints },
  ],
  exports: [WEBHOOK_AUDIENCE],
})
export class WebhooksModule {}
