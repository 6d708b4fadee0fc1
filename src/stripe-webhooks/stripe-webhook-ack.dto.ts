import { ApiProperty } from '@nestjs/swagger';
import { STRIPE_EVENT_OUTCOMES, type StripeEventOutcome } from '../payments/stripe-event.entity';

/** The answer Stripe gets (it reads only the status; the body helps whoever looks at the delivery). */
export class StripeWebhookAck {
  @ApiProperty({ example: true })
  received: boolean;

  @ApiProperty({ description: 'The event id was stored before: this delivery changed nothing', example: false })
  duplicate: boolean;

  @ApiProperty({
    enum: STRIPE_EVENT_OUTCOMES,
    description: '`pending` until its reconciliation job has run; `ignored` for a type not reconciled or an event of no tenant of ours',
    example: 'pending',
  })
  outcome: StripeEventOutcome;
}
