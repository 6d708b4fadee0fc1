import { Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { FakeLedger, RejectedTransaction } from './ledger';

type Params = unknown[];
interface RpcRequest {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params?: Params;
}

/**
 * A loopback Solana JSON-RPC server (HTTP, and the WebSocket `signatureSubscribe` that web3.js
 * confirms with) over a FakeLedger, with the faults a test asks for.
 */
export class SolanaFake {
  readonly ledger = new FakeLedger();
  /** The fake's own failures (a malformed request, a bug): a test can show them. */
  readonly errors: string[] = [];
  /** Every JSON-RPC method called, in order. */
  readonly calls: string[] = [];
  /** Every address read by getAccountInfo or getMultipleAccounts, in order. */
  readonly accountReads: string[] = [];
  /** Every transaction received by sendTransaction (applied or not), by signature. */
  readonly sent: { signature: string; atHeight: number; lastValidBlockHeight: number | undefined }[] = [];
  readonly faults = {
    /** Apply the next N transactions, then drop the connection instead of answering. */
    loseSendResponses: 0,
    /** Answer the next N transactions with their signature but hold them back (in flight) until `landInFlight()`. */
    swallowSends: 0,
    /** Answer the next calls of a method (any method when unset) with this HTTP status. */
    httpErrors: [] as { status: number; method?: string }[],
    /** Apply transactions but withhold their confirmation until `releaseConfirmations()`. */
    holdConfirmations: false,
  };
  /** Transactions answered but not applied yet: they may still land, until their blockhash expires. */
  private readonly inFlight: Transaction[] = [];
  private server?: Server;
  private sockets?: WebSocketServer;
  private blockTimer?: NodeJS.Timeout;
  private readonly subscriptions = new Map<number, { socket: WebSocket; signature: string }>();
  private nextSubscription = 1;
  private readonly lastValidByBlockhash = new Map<string, number>();

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handleHttp(request, response).catch((error: unknown) => {
        this.errors.push(error instanceof Error ? error.message : String(error));
        if (!response.headersSent) response.writeHead(500).end('fake failed');
      });
    });
    this.sockets = new WebSocketServer({ server: this.server });
    this.sockets.on('connection', (socket) => socket.on('message', (raw) => this.handleSocket(socket, raw.toString())));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get wsUrl(): string {
    return this.url.replace('http://', 'ws://');
  }

  /** The gateway's environment: RPC, WebSocket and localnet. */
  env(): Record<string, string> {
    return { SOLANA_RPC_URL: this.url, SOLANA_WS_URL: this.wsUrl, SOLANA_CLUSTER: 'localnet' };
  }

  /** Produces a block every `intervalMs`, as a live cluster does; 0 stops. */
  produceBlocks(intervalMs: number): void {
    clearInterval(this.blockTimer);
    if (intervalMs > 0) this.blockTimer = setInterval(() => this.ledger.advance(1), intervalMs);
  }

  releaseConfirmations(): void {
    this.faults.holdConfirmations = false;
    for (const [id, subscription] of this.subscriptions) {
      if (this.ledger.landed.has(subscription.signature)) this.notify(id);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.blockTimer);
    for (const client of this.sockets?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => this.sockets?.close(() => resolve()) ?? resolve());
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    const rpc = JSON.parse(body) as RpcRequest;
    this.calls.push(rpc.method);
    const forced = this.faults.httpErrors.findIndex((fault) => !fault.method || fault.method === rpc.method);
    if (forced >= 0) {
      const [{ status }] = this.faults.httpErrors.splice(forced, 1);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 429 ? 'Too Many Requests' : 'Internal error');
      return;
    }
    if (rpc.method === 'sendTransaction' && this.faults.loseSendResponses > 0) {
      this.faults.loseSendResponses -= 1;
      this.answer(rpc); // applied, then the answer never arrives
      request.socket.destroy();
      return;
    }
    const answer = this.answer(rpc);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, ...answer }));
  }

  private answer(rpc: RpcRequest): { result: unknown } | { error: { code: number; message: string; data?: unknown } } {
    const params = rpc.params ?? [];
    const context = { slot: this.ledger.slot };
    switch (rpc.method) {
      case 'getLatestBlockhash': {
        const value = this.ledger.latestBlockhash();
        this.lastValidByBlockhash.set(value.blockhash, value.lastValidBlockHeight);
        return { result: { context, value } };
      }
      case 'getBlockHeight':
        return { result: this.ledger.blockHeight };
      case 'getSlot':
        return { result: this.ledger.slot };
      case 'getBalance':
        return { result: { context, value: this.ledger.balanceOf(String(params[0])) } };
      case 'getAccountInfo':
        this.accountReads.push(String(params[0]));
        return { result: { context, value: this.accountJson(String(params[0])) } };
      case 'getMultipleAccounts':
        this.accountReads.push(...(params[0] as string[]));
        return { result: { context, value: (params[0] as string[]).map((key) => this.accountJson(key)) } };
      case 'getSignatureStatuses':
        return { result: { context, value: (params[0] as string[]).map((signature) => this.statusOf(signature)) } };
      case 'sendTransaction':
        return this.send(String(params[0]));
      default:
        return { error: { code: -32601, message: `Method not found: ${rpc.method}` } };
    }
  }

  private send(encoded: string): ReturnType<SolanaFake['answer']> {
    const transaction = Transaction.from(Buffer.from(encoded, 'base64'));
    const signature = transaction.signature ? bs58.encode(transaction.signature) : '';
    this.sent.push({ signature, atHeight: this.ledger.blockHeight, lastValidBlockHeight: this.lastValidByBlockhash.get(transaction.recentBlockhash ?? '') });
    if (this.faults.swallowSends > 0) {
      this.faults.swallowSends -= 1;
      this.inFlight.push(transaction);
      return { result: signature };
    }
    try {
      this.land(transaction);
    } catch (error) {
      if (!(error instanceof RejectedTransaction)) throw error;
      return { error: { code: -32002, message: error.message, data: { err: error.err, logs: error.logs, accounts: null, unitsConsumed: 0 } } };
    }
    return { result: signature };
  }

  /** Applies the transactions held in flight (those whose blockhash is still valid land; the others are refused). */
  landInFlight(): { landed: number; refused: string[] } {
    const outcome = { landed: 0, refused: [] as string[] };
    for (const transaction of this.inFlight.splice(0)) {
      try {
        this.land(transaction);
        outcome.landed += 1;
      } catch (error) {
        outcome.refused.push(error instanceof Error ? error.message : String(error));
      }
    }
    return outcome;
  }

  private land(transaction: Transaction): void {
    const signature = this.ledger.apply(transaction);
    for (const [id, subscription] of this.subscriptions) {
      if (subscription.signature === signature) setImmediate(() => this.notify(id));
    }
  }

  private statusOf(signature: string): object | null {
    const slot = this.ledger.landed.get(signature);
    if (slot === undefined || this.faults.holdConfirmations) return null;
    return { slot, confirmations: null, err: null, status: { Ok: null }, confirmationStatus: 'finalized' };
  }

  private accountJson(address: string): object | null {
    const account = this.ledger.accounts.get(address);
    if (!account) return null;
    return {
      data: [account.data.toString('base64'), 'base64'],
      executable: false,
      lamports: account.lamports,
      owner: account.owner.toBase58(),
      rentEpoch: 0,
      space: account.data.length,
    };
  }

  private handleSocket(socket: WebSocket, raw: string): void {
    const rpc = JSON.parse(raw) as RpcRequest;
    this.calls.push(`ws:${rpc.method}`);
    const reply = (result: unknown) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, result }));
    if (rpc.method === 'signatureSubscribe') {
      const id = this.nextSubscription++;
      this.subscriptions.set(id, { socket, signature: String((rpc.params ?? [])[0]) });
      reply(id);
      if (this.statusOf(String((rpc.params ?? [])[0]))) setImmediate(() => this.notify(id));
    } else if (rpc.method === 'signatureUnsubscribe') {
      this.subscriptions.delete(Number((rpc.params ?? [])[0]));
      reply(true);
    } else {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, error: { code: -32601, message: 'Method not found' } }));
    }
  }

  private notify(id: number): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription || this.faults.holdConfirmations) return;
    this.subscriptions.delete(id);
    subscription.socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'signatureNotification',
        params: { result: { context: { slot: this.ledger.slot }, value: { err: null } }, subscription: id },
      }),
    );
  }
}
