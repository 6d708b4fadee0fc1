import { TransientJobError } from '../../src/job-definitions/job-errors';
import { CreatePaymentIntent, PaymentIntentOutcome } from '../../src/payments/payment.gateway';
import { SandboxPaymentGateway } from '../../src/payments/sandbox-payment.gateway';
import { waitFor } from './wait-for';

export type HoldOutcome = 'succeed' | 'time-out';

/**
 * Stands for Stripe at the network edge: payments of a held order wait until the test lets
 * them go, then succeed or time out; every other payment behaves as the sandbox does.
 * A gateway-class double, kept for the e2e files not yet moved to the loopback fake
 * (test/support/stripe-fake, whose `hold` does the same at the HTTP edge).
 */
export class HeldPaymentGateway extends SandboxPaymentGateway {
  private readonly holds = new Map<string, { entered: boolean; release: (outcome: HoldOutcome) => void; released: Promise<HoldOutcome> }>();
  readonly calls: string[] = [];

  hold(orderId: string): void {
    let release: (outcome: HoldOutcome) => void = () => undefined;
    const released = new Promise<HoldOutcome>((resolve) => (release = resolve));
    this.holds.set(orderId, { entered: false, release, released });
  }

  /** Resolves once a payment of the held order is inside the gateway. */
  entered(orderId: string): Promise<true> {
    return waitFor(async () => (this.holds.get(orderId)?.entered ? true : undefined), 15_000, `payment of ${orderId} to reach the gateway`);
  }

  release(orderId: string, outcome: HoldOutcome): void {
    this.holds.get(orderId)?.release(outcome);
  }

  releaseAll(): void {
    for (const hold of this.holds.values()) hold.release('succeed');
  }

  callsFor(orderId: string): number {
    return this.calls.filter((call) => call === orderId).length;
  }

  override async createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: string): Promise<PaymentIntentOutcome> {
    const orderId = request.metadata?.orderId ?? '';
    this.calls.push(orderId);
    const hold = this.holds.get(orderId);
    if (hold) {
      hold.entered = true;
      if ((await hold.released) === 'time-out') {
        throw new TransientJobError('provider_timeout', 'Stripe did not answer in time');
      }
    }
    return super.createPaymentIntent(request, idempotencyKey);
  }
}
