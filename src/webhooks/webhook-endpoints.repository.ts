import { Injectable } from '@nestjs/common';
import { ArrayContains } from 'typeorm';
import { GroupCommit } from '../database/group-commit';
import { TenantScope } from '../database/tenant-scope';
import type { WebhookEvent } from '../job-definitions/payloads/communication.payloads';
import type { WebhookAudience } from '../job-definitions/webhook-audience';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export type NewWebhookEndpoint = Pick<WebhookEndpoint, 'url' | 'description' | 'events' | 'secret'>;
export type WebhookEndpointChanges = Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'events' | 'enabled' | 'secret'>>;

/** All SQL of webhook_endpoints; every call runs under the tenant's row-level security. */
@Injectable()
export class WebhookEndpoints implements WebhookAudience {
  constructor(private readonly scope: TenantScope) {}

  create(tenantId: string, endpoint: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    return this.scope.run(tenantId, (manager) =>
      manager.save(manager.create(WebhookEndpoint, { ...endpoint, tenantId, enabled: true })),
    );
  }

  /** Oldest first. */
  list(tenantId: string): Promise<WebhookEndpoint[]> {
    return this.scope.run(tenantId, (manager) =>
      manager.find(WebhookEndpoint, { order: { createdAt: 'ASC', id: 'ASC' } }),
    );
  }

  find(tenantId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(WebhookEndpoint, { id }));
  }

  /**
   * The enabled endpoints that want `event`. Every webhook-event job asks: the lookups of one
   * tenant and event that arrive while one runs are answered by the next, one read for all,
   * and none by a read that began before it was asked.
   */
  subscribedTo(tenantId: string, event: WebhookEvent): Promise<WebhookEndpoint[]> {
    return this.subscriptions.submit(`${tenantId}\u0000${event}`, { tenantId, event }, undefined);
  }

  /** The `WebhookAudience` of `jobs/`: asked before an event becomes a `webhook-event` job. */
  async isListening(tenantId: string, event: WebhookEvent): Promise<boolean> {
    return (await this.subscribedTo(tenantId, event)).length > 0;
  }

  private readonly subscriptions = new GroupCommit<{ tenantId: string; event: WebhookEvent }, undefined, WebhookEndpoint[]>(
    async ({ tenantId, event }, callers) => {
      const found = await this.scope.run(tenantId, (manager) =>
        manager.find(WebhookEndpoint, { where: { enabled: true, events: ArrayContains([event]) }, order: { createdAt: 'ASC', id: 'ASC' } }),
      );
      return callers.map(() => ({ ok: [...found] }));
    },
    { maxPerStatement: 1000 },
  );

  /** Null when the tenant has no such endpoint. */
  update(tenantId: string, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
    return this.scope.run(tenantId, async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!endpoint) return null;
      Object.assign(endpoint, changes);
      return manager.save(WebhookEndpoint, endpoint);
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.scope.run(tenantId, (manager) => manager.delete(WebhookEndpoint, { id }));
    return (result.affected ?? 0) > 0;
  }
}
