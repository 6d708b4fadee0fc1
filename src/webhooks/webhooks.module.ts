import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveries } from './webhook-deliveries.repository';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpoints } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEventHandler } from './webhook-event.handler';
import { WebhookGateway } from './webhook.gateway';
import { WebhookHandler } from './webhook.handler';

/** Outbound webhooks: tenants' endpoints and their routes, the fan-out of events and signed deliveries. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery])],
  controllers: [WebhookEndpointsController],
  providers: [WebhookEndpoints, WebhookDeliveries, WebhookEndpointsService, WebhookGateway, WebhookEventHandler, WebhookHandler],
})
export class WebhooksModule {}
