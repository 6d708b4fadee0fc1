import { CreatePaymentIntent, CreateRefund, PaymentIntentOutcome, RefundOutcome } from '../../src/payments/payment.gateway';
import { PermanentJobError } from '../../src/job-definitions/job-errors';
import { SandboxPaymentGateway } from '../../src/payments/sandbox-payment.gateway';

type Behaviour = (request: CreatePaymentIntent, idempotencyKey: string) => Promise<void>;

/**
 * A gateway-class double, kept for the e2e files not yet moved to the loopback fake
 * (test/support/stripe-fake). Stands for Stripe at its edge: like Stripe, a repeated Idempotency-Key replays the first
 * answer instead of charging again. It counts calls and effects (distinct keys), and a test
 * can make calls fail or hang through `before`.
 */
export class FakeStripe extends SandboxPaymentGateway {
  readonly calls: string[] = [];
  readonly charges = new Map<string, PaymentIntentOutcome>();
  /** The order of each payment call, in step with `calls`. */
  readonly orders: string[] = [];
  /** Runs before the charge: throw to fail the call, hang to stall it. */
  before: Behaviour = async () => undefined;
  /** Runs after the charge, before the answer: hang here and the charge is made but its answer lost. */
  after: Behaviour = async () => undefined;

  override async createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: string): Promise<PaymentIntentOutcome> {
    this.calls.push(idempotencyKey);
    this.orders.push(request.metadata?.orderId ?? '');
    const replay = this.charges.get(idempotencyKey);
    if (replay) return replay;
    await this.before(request, idempotencyKey);
    if (request.paymentMethodId === 'pm_card_chargeDeclined') throw new PermanentJobError('card_declined', 'Your card was declined.');
    const outcome: PaymentIntentOutcome = {
      paymentIntentId: `pi_fake_${this.charges.size + 1}`,
      status: 'succeeded',
      amount: request.amount,
      currency: request.currency,
    };
    this.charges.set(idempotencyKey, outcome);
    await this.after(request, idempotencyKey);
    return outcome;
  }

  /** How many payment calls were made for the order. */
  callsFor(orderId: string): number {
    return this.orders.filter((order) => order === orderId).length;
  }

  /** Its intents are created succeeded: a re-run that looks one up finds it so. */
  override async getPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    const charge = [...this.charges.values()].find((outcome) => outcome.paymentIntentId === paymentIntentId);
    if (!charge) throw new PermanentJobError('resource_missing', `No such PaymentIntent: ${paymentIntentId}`);
    return charge;
  }

  override confirmPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    return this.getPaymentIntent(paymentIntentId);
  }

  override async createRefund(request: CreateRefund, idempotencyKey: string): Promise<RefundOutcome> {
    this.calls.push(idempotencyKey);
    this.orders.push('');
    return { refundId: `re_fake_${idempotencyKey.length}`, status: 'succeeded', amount: request.amount ?? null };
  }
}

/** A promise a test resolves when it chooses. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
