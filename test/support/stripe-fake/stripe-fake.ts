import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from '../wait-for';
import { FormObject, parseForm } from './form-body';
import { Effect, EffectKind, StripeAnswer, stripeError, StripeState } from './stripe-state';

export type Operation =
  | 'payment_intents.create' | 'payment_intents.retrieve' | 'payment_intents.confirm' | 'payment_intents.cancel'
  | 'refunds.create' | 'refunds.retrieve' | 'customers.create' | 'payment_methods.attach';

/** One request as the fake received it, and how it answered. */
export interface FakeRequest {
  operation: Operation;
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** `metadata.orderId` of the request, or of the payment intent it names. */
  orderId: string | undefined;
  params: FormObject;
  apiVersion: string | undefined;
  at: number;
  /** HTTP status answered; undefined while in flight, 0 when the connection was dropped or the client left. */
  answered?: number;
  replayed: boolean;
}

export interface FaultFilter {
  /** How many matching requests it hits (default 1; Infinity until cleared). */
  times?: number;
  operations?: Operation[];
  orderId?: string;
}

interface Fault extends Omit<FaultFilter, 'times'> {
  times: number;
  kind: 'status' | 'drop' | 'slow';
  status?: number;
  delayMs?: number;
  /** How many requests it has hit so far. */
  hits: number;
}

export type HoldRelease = 'succeed' | 'time-out' | 'drop';

export interface HoldOptions {
  operation?: Operation;
  /** `before`: the request waits in front of Stripe (nothing applied yet); `after`: applied, its answer waits. */
  phase?: 'before' | 'after';
  /** Hold only the first matching request (a re-run's passes); otherwise every one, and after `release` each gets its outcome at once. */
  once?: boolean;
}

/** One hold of `hold()`: when a request it holds has arrived, and its own release (other holds of the order stay). */
export interface HeldRequests {
  entered(timeoutMs?: number): Promise<true>;
  release(outcome?: HoldRelease): void;
}

interface Hold extends Required<HoldOptions> {
  taken: boolean;
  entered: boolean;
  released: Promise<HoldRelease>;
  release: (outcome: HoldRelease) => void;
}

const ALL_ORDERS = '*';

/**
 * Stripe's network edge on loopback, for the real SDK (`STRIPE_API_BASE_URL`): payment intents
 * (create, retrieve with `expand[]=latest_charge`, confirm, cancel), refunds (create, retrieve), customers and payment method
 * attachment, from form-encoded bodies as the SDK sends them.
 *
 * Like Stripe, a POST's Idempotency-Key replays its first answer (with `Idempotent-Replayed:
 * true`), and the same key with other parameters is an `idempotency_error`. Declines come from
 * Stripe's test payment methods (see stripe-state.ts). On demand it answers error statuses, slow
 * answers or dropped connections to the next matching requests: these stand for failures in
 * front of Stripe (a proxy, the network), so nothing is applied or stored for replay. It counts
 * every effect it applied with the key of the request that applied it.
 */
export class StripeFake {
  readonly state = new StripeState();
  readonly requests: FakeRequest[] = [];
  private readonly answers = new Map<string, { fingerprint: string; answer: StripeAnswer }>();
  private readonly faults: Fault[] = [];
  private readonly holds = new Map<string, Hold[]>();
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  url = '';

  static async start(): Promise<StripeFake> {
    const fake = new StripeFake();
    await fake.listen();
    return fake;
  }

  /** The app environment that points the real SDK at this fake (the gateway then runs live). */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return { STRIPE_SECRET_KEY: 'sk_test_fake123', STRIPE_WEBHOOK_SECRET: 'whsec_fake123', STRIPE_API_BASE_URL: this.url, ...overrides };
  }

  async close(): Promise<void> {
    this.releaseAll('drop');
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- what it saw and did ----

  effects(kind?: EffectKind, orderId?: string): Effect[] {
    return this.state.effects.filter((effect) => (!kind || effect.kind === kind) && (!orderId || effect.orderId === orderId));
  }

  requestsOf(operation: Operation, orderId?: string): FakeRequest[] {
    return this.requests.filter((request) => request.operation === operation && (!orderId || request.orderId === orderId));
  }

  /** Requests to create a payment intent for the order (replays included): every worker's call, answered or held. */
  callsFor(orderId: string): number {
    return this.requestsOf('payment_intents.create', orderId).length;
  }

  // ---- faults ----

  fail(status: number, filter: FaultFilter = {}): Fault {
    return this.addFault({ kind: 'status', status, ...filter });
  }

  /** Destroys the connection without an answer. The SDK itself retries a closed connection once. */
  drop(filter: FaultFilter = {}): Fault {
    return this.addFault({ kind: 'drop', ...filter });
  }

  /** Waits `delayMs` in front of Stripe; a client that gave up meanwhile (its timeout) reaches nothing. */
  slow(delayMs: number, filter: FaultFilter = {}): Fault {
    return this.addFault({ kind: 'slow', delayMs, ...filter });
  }

  clearFaults(): void {
    this.faults.splice(0);
  }

  // ---- holds: a payment kept in flight until the test lets it go ----

  /**
   * Holds the order's requests of one operation (or every order's, with `*`) until `release`;
   * requests arriving after the release get its outcome at once.
   * Several holds of one order take its requests in turn: with `once`, the first request goes to
   * the first hold, the next to the second (two workers' calls, let go one at a time).
   */
  hold(orderId: string, options: HoldOptions = {}): HeldRequests {
    let release: (outcome: HoldRelease) => void = () => undefined;
    const released = new Promise<HoldRelease>((resolve) => (release = resolve));
    const hold: Hold = {
      operation: options.operation ?? 'payment_intents.create',
      phase: options.phase ?? 'before',
      once: options.once ?? false,
      taken: false,
      entered: false,
      released,
      release,
    };
    this.holds.set(orderId, [...(this.holds.get(orderId) ?? []), hold]);
    return {
      entered: (timeoutMs = 15_000) =>
        waitFor(async () => (hold.entered ? true : undefined), timeoutMs, `a held request of ${orderId} to reach the Stripe fake`),
      release: (outcome = 'succeed') => hold.release(outcome),
    };
  }

  /** Resolves once a request held by one of the order's holds has arrived. */
  entered(orderId: string, timeoutMs = 15_000): Promise<true> {
    const entered = () => this.holds.get(orderId)?.some((hold) => hold.entered);
    return waitFor(async () => (entered() ? true : undefined), timeoutMs, `a request of ${orderId} to reach the Stripe fake`);
  }

  /** Releases every hold of the order. `time-out` answers 504 as a proxy in front of Stripe would (before-holds only); `drop` closes the connection. */
  release(orderId: string, outcome: HoldRelease = 'succeed'): void {
    for (const hold of this.holds.get(orderId) ?? []) hold.release(outcome);
  }

  /** Lets every held request go, and holds nothing more. */
  releaseAll(outcome: HoldRelease = 'succeed'): void {
    for (const hold of [...this.holds.values()].flat()) hold.release(outcome);
    this.holds.clear();
  }

  // ---- the server ----

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.send(res, stripeError(500, 'api_error', String(error)), {});
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let clientGone = false;
    res.on('close', () => (clientGone = !res.writableEnded));
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const [path, query = ''] = (req.url ?? '/').split('?');
    const route = routeOf(method, path);
    if (!route) return this.send(res, stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`), {});
    // A GET carries its parameters (e.g. `expand[0]=latest_charge`) in the query string, as the SDK sends them.
    const params = parseForm(method === 'GET' ? query : raw);
    const idempotencyKey = header(req, 'idempotency-key');
    const request: FakeRequest = {
      operation: route.operation,
      method,
      path,
      idempotencyKey,
      orderId: orderIdOf(route.operation, params) ?? this.state.orderOfIntent(route.id ?? text(params.payment_intent)),
      params,
      apiVersion: header(req, 'stripe-version'),
      at: Date.now(),
      replayed: false,
    };
    this.requests.push(request);
    const headers: Record<string, string> = {};
    if (request.apiVersion) headers['Stripe-Version'] = request.apiVersion;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;

    if (!/^Bearer (sk|rk)_test_\w+$/.test(header(req, 'authorization') ?? '')) {
      return this.answer(request, res, stripeError(401, 'invalid_request_error', 'Invalid API Key provided.'), headers);
    }
    const fault = this.takeFault(request);
    if (fault?.kind === 'status') {
      const type = fault.status === 429 ? 'invalid_request_error' : 'api_error';
      const code = fault.status === 429 ? { code: 'rate_limit' } : {};
      return this.answer(request, res, stripeError(fault.status!, type, `Injected ${fault.status} from the Stripe fake`, code), headers);
    }
    if (fault?.kind === 'drop') return this.dropConnection(request, req);
    if (fault?.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (clientGone) return void (request.answered = 0);
    }

    const hold = this.holdFor(request);
    if (hold?.phase === 'before') {
      hold.entered = true;
      const outcome = await hold.released;
      if (outcome === 'drop' || clientGone) return this.dropConnection(request, req);
      if (outcome === 'time-out') return this.answer(request, res, stripeError(504, 'api_error', 'Gateway Timeout (Stripe fake)'), headers);
    }

    const fingerprint = `${method} ${path} ${raw}`;
    const stored = method === 'POST' && idempotencyKey ? this.answers.get(idempotencyKey) : undefined;
    let answer: StripeAnswer;
    if (stored && stored.fingerprint !== fingerprint) {
      answer = stripeError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`);
    } else if (stored) {
      answer = stored.answer;
      request.replayed = true;
      headers['Idempotent-Replayed'] = 'true';
    } else {
      answer = this.execute(route.operation, route.id, params, idempotencyKey);
      if (method === 'POST' && idempotencyKey) this.answers.set(idempotencyKey, { fingerprint, answer });
    }

    if (hold?.phase === 'after') {
      hold.entered = true;
      const outcome = await hold.released;
      if (outcome === 'drop' || clientGone) return this.dropConnection(request, req);
    }
    this.answer(request, res, answer, headers);
  }

  private execute(operation: Operation, id: string | undefined, params: FormObject, key: string | undefined): StripeAnswer {
    switch (operation) {
      case 'payment_intents.create':
        return this.state.createIntent(params, key);
      case 'payment_intents.retrieve':
        return this.state.retrieveIntent(id!, params);
      case 'payment_intents.confirm':
        return this.state.confirmIntent(id!, params, key);
      case 'payment_intents.cancel':
        return this.state.cancelIntent(id!, key);
      case 'refunds.create':
        return this.state.createRefund(params, key);
      case 'refunds.retrieve':
        return this.state.retrieveRefund(id!);
      case 'customers.create':
        return this.state.createCustomer(params, key);
      case 'payment_methods.attach':
        return this.state.attachPaymentMethod(id!, params, key);
    }
  }

  private addFault(fault: Omit<Fault, 'times' | 'hits'> & FaultFilter): Fault {
    const added: Fault = { ...fault, times: fault.times ?? 1, hits: 0 };
    this.faults.push(added);
    return added;
  }

  private takeFault(request: FakeRequest): Fault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        candidate.hits < candidate.times &&
        (!candidate.operations || candidate.operations.includes(request.operation)) &&
        (!candidate.orderId || candidate.orderId === request.orderId),
    );
    if (fault) fault.hits += 1;
    return fault;
  }

  private holdFor(request: FakeRequest): Hold | undefined {
    const candidates = [...((request.orderId && this.holds.get(request.orderId)) || []), ...(this.holds.get(ALL_ORDERS) ?? [])];
    for (const hold of candidates) {
      if (hold.operation !== request.operation || (hold.once && hold.taken)) continue;
      hold.taken = true;
      return hold;
    }
    return undefined;
  }

  private dropConnection(request: FakeRequest, req: IncomingMessage): void {
    request.answered = 0;
    req.socket.destroy();
  }

  private answer(request: FakeRequest, res: ServerResponse, answer: StripeAnswer, headers: Record<string, string>): void {
    request.answered = answer.status;
    this.send(res, answer, headers);
  }

  private send(res: ServerResponse, answer: StripeAnswer, headers: Record<string, string>): void {
    res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': `req_${randomBytes(8).toString('hex')}`, ...headers });
    res.end(JSON.stringify(answer.body));
  }
}

function routeOf(method: string, path: string): { operation: Operation; id?: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'v1') return undefined;
  const [, resource, id, action] = parts;
  const key = `${method} ${resource}${id ? '/:id' : ''}${action ? `/${action}` : ''}`;
  const operations: Record<string, Operation> = {
    'POST payment_intents': 'payment_intents.create',
    'GET payment_intents/:id': 'payment_intents.retrieve',
    'POST payment_intents/:id/confirm': 'payment_intents.confirm',
    'POST payment_intents/:id/cancel': 'payment_intents.cancel',
    'POST refunds': 'refunds.create',
    'GET refunds/:id': 'refunds.retrieve',
    'POST customers': 'customers.create',
    'POST payment_methods/:id/attach': 'payment_methods.attach',
  };
  const operation = operations[key];
  return operation ? { operation, id: id ? decodeURIComponent(id) : undefined } : undefined;
}

function orderIdOf(operation: Operation, params: FormObject): string | undefined {
  const metadata = params.metadata;
  if (operation !== 'payment_intents.create' || typeof metadata !== 'object') return undefined;
  return text(metadata.orderId);
}

function text(value: FormObject[string] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
