import { Controller, Headers, HttpCode, HttpStatus, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { WEBHOOK_TOLERANCE_SECONDS } from '../payments/payment.gateway';
import { StripeWebhookAck } from './stripe-webhook-ack.dto';
import { StripeWebhookIntake } from './stripe-webhook-intake';

@ApiTags('webhooks')
@Controller('webhooks')
export class StripeWebhooksController {
  constructor(private readonly intake: StripeWebhookIntake) {}

  @Post('stripe')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Receive a Stripe event (Stripe calls this; the signature is the authentication)',
    description:
      'No bearer token: `Stripe-Signature` is verified against the raw request body with the endpoint secret ' +
      `(STRIPE_WEBHOOK_SECRET), with Stripe's ${WEBHOOK_TOLERANCE_SECONDS} s tolerance. Each event id is stored once; ` +
      'a redelivered event answers 200 and changes nothing. `payment_intent.succeeded`, `payment_intent.payment_failed`, ' +
      '`charge.refunded` and `charge.dispute.created` are reconciled with the job records of their tenant by an internal ' +
      '`stripe-event` job; other types, and events of no tenant of ours, are stored as `ignored`.',
  })
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: '`t=<unix time>,v1=<hex HMAC-SHA256 of "t.<raw body>">` as Stripe sends it',
    schema: { type: 'string', example: 't=1732700000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' },
  })
  @ApiBody({
    description: 'A Stripe event object, exactly as Stripe sent it: the signature covers these bytes.',
    schema: {
      type: 'object',
      required: ['id', 'object', 'type', 'data'],
      additionalProperties: true,
      properties: {
        id: { type: 'string', example: 'evt_1PqR2sT3uV4wX5yZ' },
        object: { type: 'string', enum: ['event'] },
        type: { type: 'string', example: 'payment_intent.succeeded' },
        livemode: { type: 'boolean' },
        created: { type: 'integer', description: 'Unix time' },
        data: {
          type: 'object',
          required: ['object'],
          additionalProperties: true,
          properties: { object: { type: 'object', additionalProperties: true, description: 'The payment intent, charge or dispute' } },
        },
      },
    },
  })
  @ApiOkResponse({ type: StripeWebhookAck, description: 'Stored (or stored before); reconciliation runs as a job' })
  @ApiErrors(
    [400, `Missing, malformed or wrong Stripe-Signature, or one older than ${WEBHOOK_TOLERANCE_SECONDS} s (or no JSON body); nothing was stored`],
    [503, 'Inbound Stripe webhooks are not configured (no STRIPE_WEBHOOK_SECRET, or Stripe disabled), or the queue refused the work; Stripe retries'],
  )
  receive(@Req() request: RawBodyRequest<Request>, @Headers('Stripe-Signature') signature?: string): Promise<StripeWebhookAck> {
    return this.intake.receive(request.rawBody, signature);
  }
}
