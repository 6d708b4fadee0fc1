import type Stripe from 'stripe';

/** The event types reconciled with job records; every other type is stored and ignored. */
export const RECONCILED_STRIPE_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const;
export type ReconciledStripeEvent = (typeof RECONCILED_STRIPE_EVENTS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What reconciliation reads of an event, whatever its object (payment intent, charge, dispute). */
export interface StripeEventFacts {
  eventId: string;
  type: string;
  livemode: boolean;
  /** From the object's metadata (set by payment-process), when it is a UUID. */
  tenantId: string | null;
  jobId: string | null;
  orderId: string | null;
  paymentIntentId: string | null;
  /** The payment intent, charge or dispute the event is about. */
  objectId: string | null;
  amount: number | null;
  /** Stripe's reason: a decline code, a dispute reason. */
  reason: string | null;
}

export function isReconciled(type: string): type is ReconciledStripeEvent {
  return (RECONCILED_STRIPE_EVENTS as readonly string[]).includes(type);
}

/** The fields read here of a payment intent, a charge or a dispute (the SDK's types do not intersect). */
interface EventObject {
  object?: string;
  id?: string;
  metadata?: Stripe.Metadata | null;
  payment_intent?: string | { id?: string } | null;
  amount?: number;
  amount_refunded?: number;
  last_payment_error?: { decline_code?: string; code?: string } | null;
  reason?: string;
}

export function factsOf(event: Stripe.Event): StripeEventFacts {
  const object = event.data.object as unknown as EventObject;
  const metadata = object.metadata ?? {};
  return {
    eventId: event.id,
    type: event.type,
    livemode: Boolean(event.livemode),
    tenantId: uuidOrNull(metadata.tenantId),
    jobId: uuidOrNull(metadata.jobId),
    orderId: typeof metadata.orderId === 'string' ? metadata.orderId : null,
    paymentIntentId: paymentIntentOf(object),
    objectId: typeof object.id === 'string' ? object.id : null,
    amount: amountOf(event.type, object),
    reason: reasonOf(object),
  };
}

function paymentIntentOf(object: EventObject): string | null {
  if (object.object === 'payment_intent') return typeof object.id === 'string' ? object.id : null;
  const intent = object.payment_intent;
  if (typeof intent === 'string') return intent;
  return intent && typeof intent.id === 'string' ? intent.id : null;
}

function amountOf(type: string, object: EventObject): number | null {
  const amount = type === 'charge.refunded' ? object.amount_refunded : object.amount;
  return typeof amount === 'number' ? amount : null;
}

function reasonOf(object: EventObject): string | null {
  const error = object.last_payment_error;
  if (error) return error.decline_code ?? error.code ?? null;
  return typeof object.reason === 'string' ? object.reason : null;
}

function uuidOrNull(value: unknown): string | null {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null;
}
