import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type {
  CreateWebhookEndpointRequest, UpdateWebhookEndpointRequest, WebhookDeliveriesQuery,
} from './dto/webhook-endpoint-requests.dto';
import type { WebhookDeliveryPage, WebhookEndpointView, WebhookEndpointWithSecret } from './dto/webhook-views.dto';
import { WebhookDeliveries } from './webhook-deliveries.repository';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpoints } from './webhook-endpoints.repository';
import { newWebhookSecret } from './webhook-signature';

/**
 * A tenant's webhook endpoints. The secret leaves the service only in the answers to creation
 * and rotation. Addresses are checked again at every delivery, after DNS: the URL check here
 * only refuses what can never be right (http in production, credentials in the URL).
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly config: AppConfig,
    private readonly endpoints: WebhookEndpoints,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  async create(tenantId: string, request: CreateWebhookEndpointRequest): Promise<WebhookEndpointWithSecret> {
    this.checkUrl(request.url);
    const secret = newWebhookSecret();
    const endpoint = await this.endpoints.create(tenantId, {
      url: request.url, events: request.events, description: request.description ?? null, secret,
    });
    return { ...viewOf(endpoint), secret };
  }

  async list(tenantId: string): Promise<WebhookEndpointView[]> {
    return (await this.endpoints.list(tenantId)).map(viewOf);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpointView> {
    return viewOf(found(await this.endpoints.find(tenantId, id)));
  }

  async update(tenantId: string, id: string, request: UpdateWebhookEndpointRequest): Promise<WebhookEndpointView> {
    if (request.url !== undefined) this.checkUrl(request.url);
    const { url, events, description, enabled } = request;
    const changes = Object.fromEntries(Object.entries({ url, events, description, enabled }).filter(([, value]) => value !== undefined));
    return viewOf(found(await this.endpoints.update(tenantId, id, changes)));
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.endpoints.delete(tenantId, id))) throw notFound();
  }

  async rotateSecret(tenantId: string, id: string): Promise<WebhookEndpointWithSecret> {
    const secret = newWebhookSecret();
    return { ...viewOf(found(await this.endpoints.update(tenantId, id, { secret }))), secret };
  }

  async deliveriesOf(tenantId: string, id: string, query: WebhookDeliveriesQuery): Promise<WebhookDeliveryPage> {
    found(await this.endpoints.find(tenantId, id));
    const { items, total } = await this.deliveries.page(tenantId, id, query.limit, query.offset);
    return {
      items: items.map(({ id: attemptId, jobId, event, attempt, status, responseCode, error, durationMs, attemptedAt }) => ({
        id: attemptId, jobId, event, attempt, status, responseCode, error, durationMs, attemptedAt,
      })),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  private checkUrl(raw: string): void {
    const url = new URL(raw);
    const problem = url.username || url.password
      ? 'url must not carry a user name or password'
      : this.config.isProduction && url.protocol !== 'https:'
        ? 'url must use https'
        : undefined;
    if (problem) throw new BadRequestException({ message: 'Invalid webhook endpoint', details: [{ field: 'url', message: problem }] });
  }
}

function viewOf(endpoint: WebhookEndpoint): WebhookEndpointView {
  const { id, url, description, events, enabled, createdAt, updatedAt } = endpoint;
  return { id, url, description, events, enabled, createdAt, updatedAt };
}

function found(endpoint: WebhookEndpoint | null): WebhookEndpoint {
  if (!endpoint) throw notFound();
  return endpoint;
}

function notFound(): NotFoundException {
  return new NotFoundException('No such webhook endpoint for this tenant');
}
