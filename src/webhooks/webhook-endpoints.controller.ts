import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { CreateWebhookEndpointRequest, UpdateWebhookEndpointRequest, WebhookDeliveriesQuery } from './dto/webhook-endpoint-requests.dto';
import { WebhookDeliveryPage, WebhookEndpointView, WebhookEndpointWithSecret } from './dto/webhook-views.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { Audited } from '../audit/audited.decorator';

const NO_SUCH_ENDPOINT: [404, string] = [404, 'No such endpoint for this tenant'];
const NOT_A_UUID: [400, string] = [400, 'The id is not a UUID'];

@ApiTags('webhooks')
@ApiBearerAuth()
@Roles('admin', 'venue_admin')
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @Audited('webhook-endpoint.create', { target: 'response.id' })
  @ApiOperation({ summary: 'Add an endpoint; the answer shows its signing secret, the only time it is shown' })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecret })
  @ApiErrors([400, 'Invalid body (details name each bad field; url must be https in production)'])
  create(@CurrentUser() user: AuthUser, @Body() body: CreateWebhookEndpointRequest): Promise<WebhookEndpointWithSecret> {
    return this.endpoints.create(user.tenantId, body);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's endpoints, oldest first (without their secrets)" })
  @ApiOkResponse({ type: [WebhookEndpointView] })
  list(@CurrentUser() user: AuthUser): Promise<WebhookEndpointView[]> {
    return this.endpoints.list(user.tenantId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (without its secret)' })
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiErrors(NOT_A_UUID, NO_SUCH_ENDPOINT)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(user.tenantId, id);
  }

  @Patch(':id')
  @Audited('webhook-endpoint.update', { target: 'params.id' })
  @ApiOperation({ summary: "Change an endpoint's url, events, description or enabled flag" })
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiErrors([400, 'Invalid id or body (details name each bad field)'], NO_SUCH_ENDPOINT)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateWebhookEndpointRequest,
  ): Promise<WebhookEndpointView> {
    return this.endpoints.update(user.tenantId, id, body);
  }

  @Delete(':id')
  @Audited('webhook-endpoint.delete', { target: 'params.id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove an endpoint and its delivery history; pending deliveries end without being sent' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(NOT_A_UUID, NO_SUCH_ENDPOINT)
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.endpoints.delete(user.tenantId, id);
  }

  @Post(':id/rotate-secret')
  @Audited('webhook-endpoint.rotate-secret', { target: 'params.id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Replace the signing secret; the answer shows the new one, the only time it is shown' })
  @ApiOkResponse({ type: WebhookEndpointWithSecret })
  @ApiErrors(NOT_A_UUID, NO_SUCH_ENDPOINT)
  rotateSecret(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookEndpointWithSecret> {
    return this.endpoints.rotateSecret(user.tenantId, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A page of the endpoint's delivery attempts, newest first, failed ones included" })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  @ApiErrors([400, 'Invalid id or query parameter'], NO_SUCH_ENDPOINT)
  deliveries(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: WebhookDeliveriesQuery,
  ): Promise<WebhookDeliveryPage> {
    return this.endpoints.deliveriesOf(user.tenantId, id, query);
  }
}
