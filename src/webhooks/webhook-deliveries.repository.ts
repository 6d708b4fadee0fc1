import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import { WebhookDelivery } from './webhook-delivery.entity';

export type NewWebhookDelivery = Omit<WebhookDelivery, 'id'>;

/** All SQL of webhook_deliveries; every call runs under the tenant's row-level security. */
@Injectable()
export class WebhookDeliveries {
  constructor(private readonly scope: TenantScope) {}

  async record(delivery: NewWebhookDelivery): Promise<void> {
    await this.scope.run(delivery.tenantId, (manager) => manager.insert(WebhookDelivery, delivery));
  }

  /** An endpoint's attempts, newest first. */
  page(tenantId: string, endpointId: string, limit: number, offset: number): Promise<{ items: WebhookDelivery[]; total: number }> {
    return this.scope.run(tenantId, async (manager) => {
      const [items, total] = await manager.findAndCount(WebhookDelivery, {
        where: { endpointId },
        // The id breaks ties, so that pages neither repeat nor skip attempts of the same instant.
        order: { attemptedAt: 'DESC', id: 'DESC' },
        take: limit,
        skip: offset,
      });
      return { items, total };
    });
  }
}
