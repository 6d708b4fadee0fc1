import { randomBytes } from 'node:crypto';
import { FormObject, record, text } from './form-body';

export interface StripeAnswer {
  status: number;
  body: object;
}

export type EffectKind = 'intent_created' | 'intent_confirmed' | 'intent_canceled' | 'refund_created' | 'customer_created' | 'payment_method_attached';

/** Something the fake did to its state, and the Idempotency-Key of the request that did it. */
export interface Effect {
  kind: EffectKind;
  idempotencyKey: string | undefined;
  objectId: string;
  orderId: string | undefined;
}

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  payment_method: string | null;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  next_action: { type: string; use_stripe_sdk?: object } | null;
  last_payment_error: object | null;
  latest_charge: string | null;
  created: number;
  livemode: false;
  /** Not Stripe's field: what has been refunded so far. */
  refunded: number;
}

/** Stripe's test payment methods that decline on confirmation: [code, decline code, message]. */
const DECLINES: Record<string, [string, string, string]> = {
  pm_card_chargeDeclined: ['card_declined', 'generic_decline', 'Your card was declined.'],
  pm_card_visa_chargeDeclinedInsufficientFunds: ['card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
  pm_card_chargeDeclinedInsufficientFunds: ['card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
  pm_card_chargeDeclinedExpiredCard: ['expired_card', 'expired_card', 'Your card has expired.'],
};
const AUTHENTICATION_REQUIRED = 'pm_card_authenticationRequired';

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export function stripeError(status: number, type: string, message: string, extra: object = {}): StripeAnswer {
  return { status, body: { error: { type, message, ...extra } } };
}

const invalid = (code: string, message: string, extra: object = {}) => stripeError(400, 'invalid_request_error', message, { code, ...extra });
const missing = (kind: string, id: string, param = 'id') =>
  stripeError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, { code: 'resource_missing', param });

/** The objects the fake Stripe holds: payment intents, refunds, customers, attached payment methods. */
export class StripeState {
  readonly intents = new Map<string, Intent>();
  readonly refunds = new Map<string, object>();
  readonly customers = new Map<string, object>();
  readonly effects: Effect[] = [];

  orderOfIntent(id: string | undefined): string | undefined {
    return id ? this.intents.get(id)?.metadata.orderId : undefined;
  }

  createIntent(params: FormObject, key: string | undefined): StripeAnswer {
    const amount = Number(text(params.amount));
    const currency = text(params.currency);
    if (!Number.isInteger(amount) || amount < 1) return invalid('parameter_invalid_integer', 'Invalid integer: amount', { param: 'amount' });
    if (!currency) return invalid('parameter_missing', 'Missing required param: currency.', { param: 'currency' });
    const paymentMethod = text(params.payment_method) ?? null;
    if (paymentMethod && !paymentMethod.startsWith('pm_')) return missing('PaymentMethod', paymentMethod, 'payment_method');
    const customer = text(params.customer) ?? null;
    if (customer && !this.customers.has(customer)) return missing('customer', customer, 'customer');
    const intent: Intent = {
      id: newId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency: currency.toLowerCase(),
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
      payment_method: paymentMethod,
      customer,
      description: text(params.description) ?? null,
      metadata: record(params.metadata),
      next_action: null,
      last_payment_error: null,
      latest_charge: null,
      created: now(),
      livemode: false,
      refunded: 0,
    };
    this.intents.set(intent.id, intent);
    this.effects.push({ kind: 'intent_created', idempotencyKey: key, objectId: intent.id, orderId: intent.metadata.orderId });
    return { status: 200, body: view(intent) };
  }

  /** With `expand[]=latest_charge`, the charge as Stripe shows it: its amount and `amount_refunded`. */
  retrieveIntent(id: string, params: FormObject = {}): StripeAnswer {
    const intent = this.intents.get(id);
    if (!intent) return missing('payment_intent', id);
    const expand = typeof params.expand === 'object' ? Object.values(params.expand) : [params.expand];
    if (!expand.includes('latest_charge') || !intent.latest_charge) return { status: 200, body: view(intent) };
    const charge = {
      id: intent.latest_charge,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount_received,
      amount_refunded: intent.refunded,
      refunded: intent.refunded >= intent.amount_received,
      currency: intent.currency,
      payment_intent: intent.id,
      status: 'succeeded',
      livemode: false,
    };
    return { status: 200, body: { ...view(intent), latest_charge: charge } };
  }

  confirmIntent(id: string, params: FormObject, key: string | undefined): StripeAnswer {
    const intent = this.intents.get(id);
    if (!intent) return missing('payment_intent', id);
    intent.payment_method = text(params.payment_method) ?? intent.payment_method;
    if (!['requires_confirmation', 'requires_payment_method', 'requires_action'].includes(intent.status) || !intent.payment_method) {
      return invalid('payment_intent_unexpected_state', `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`, {
        payment_intent: view(intent),
      });
    }
    this.effects.push({ kind: 'intent_confirmed', idempotencyKey: key, objectId: id, orderId: intent.metadata.orderId });
    const decline = DECLINES[intent.payment_method];
    if (decline) {
      const [code, declineCode, message] = decline;
      const error = { type: 'card_error', code, decline_code: declineCode, message, charge: newId('ch') };
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error, next_action: null });
      return stripeError(402, 'card_error', message, { code, decline_code: declineCode, charge: error.charge, payment_intent: view(intent) });
    }
    if (intent.payment_method === AUTHENTICATION_REQUIRED && intent.status !== 'requires_action') {
      Object.assign(intent, { status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } } });
    } else {
      Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: newId('ch'), next_action: null, last_payment_error: null });
    }
    return { status: 200, body: view(intent) };
  }

  cancelIntent(id: string, key: string | undefined): StripeAnswer {
    const intent = this.intents.get(id);
    if (!intent) return missing('payment_intent', id);
    if (['succeeded', 'canceled'].includes(intent.status)) {
      return invalid('payment_intent_unexpected_state', `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`);
    }
    Object.assign(intent, { status: 'canceled', next_action: null });
    this.effects.push({ kind: 'intent_canceled', idempotencyKey: key, objectId: id, orderId: intent.metadata.orderId });
    return { status: 200, body: view(intent) };
  }

  createRefund(params: FormObject, key: string | undefined): StripeAnswer {
    const intentId = text(params.payment_intent);
    if (!intentId) return invalid('parameter_missing', 'Missing required param: payment_intent.', { param: 'payment_intent' });
    const intent = this.intents.get(intentId);
    if (!intent) return missing('payment_intent', intentId, 'payment_intent');
    if (intent.status !== 'succeeded') {
      return invalid('charge_not_refundable', `This PaymentIntent (${intentId}) does not have a successful charge to refund.`);
    }
    const left = intent.amount_received - intent.refunded;
    if (left === 0) return invalid('charge_already_refunded', `Charge ${intent.latest_charge} has already been refunded.`);
    const amount = params.amount === undefined ? left : Number(text(params.amount));
    if (!Number.isInteger(amount) || amount < 1) return invalid('parameter_invalid_integer', 'Invalid integer: amount', { param: 'amount' });
    if (amount > left) {
      return invalid('amount_too_large', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, { param: 'amount' });
    }
    intent.refunded += amount;
    const refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      payment_intent: intentId,
      charge: intent.latest_charge,
      reason: text(params.reason) ?? null,
      metadata: record(params.metadata),
      status: 'succeeded',
      created: now(),
    };
    this.refunds.set(refund.id, refund);
    this.effects.push({ kind: 'refund_created', idempotencyKey: key, objectId: refund.id, orderId: intent.metadata.orderId });
    return { status: 200, body: refund };
  }

  retrieveRefund(id: string): StripeAnswer {
    const refund = this.refunds.get(id);
    return refund ? { status: 200, body: refund } : missing('refund', id);
  }

  createCustomer(params: FormObject, key: string | undefined): StripeAnswer {
    const customer = {
      id: newId('cus'),
      object: 'customer',
      email: text(params.email) ?? null,
      name: text(params.name) ?? null,
      metadata: record(params.metadata),
      created: now(),
      livemode: false,
    };
    this.customers.set(customer.id, customer);
    this.effects.push({ kind: 'customer_created', idempotencyKey: key, objectId: customer.id, orderId: undefined });
    return { status: 200, body: customer };
  }

  attachPaymentMethod(id: string, params: FormObject, key: string | undefined): StripeAnswer {
    const customer = text(params.customer);
    if (!customer) return invalid('parameter_missing', 'Missing required param: customer.', { param: 'customer' });
    if (!this.customers.has(customer)) return missing('customer', customer, 'customer');
    if (!id.startsWith('pm_')) return missing('PaymentMethod', id);
    this.effects.push({ kind: 'payment_method_attached', idempotencyKey: key, objectId: id, orderId: undefined });
    return { status: 200, body: { id, object: 'payment_method', type: 'card', customer, created: now(), livemode: false } };
  }
}

function view(intent: Intent): object {
  const { refunded: _refunded, ...stripeFields } = intent;
  return { ...stripeFields };
}
