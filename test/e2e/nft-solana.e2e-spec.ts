import { Keypair, PublicKey } from '@solana/web3.js';
import bs58 from 'bs58';
import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { submit } from '../support/job-requests';
import { WALLET } from '../support/payloads';
import { SolanaFake } from '../support/solana-fake/server';
import { newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { createEndpoint } from '../support/webhook-requests';
import { startWorkerProcess } from '../support/worker-process';

const database = privateDatabaseForThisFile();
const ENCRYPTION_KEY = randomBytes(32).toString('hex');
const SOL = 1_000_000_000;

/** Retries within a test; short locks and leases so a killed worker's job is taken over quickly. */
const FAST = {
  RETRY_STRATEGIES: JSON.stringify({
    'nft-mint': { baseDelayMs: 100, maxDelayMs: 300 },
    'nft-transfer': { baseDelayMs: 100, maxDelayMs: 300 },
  }),
  QUEUE_LOCK_DURATION_MS: '1000',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '1000',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
};

describe('NFT tickets on Solana (web3.js and Metaplex against a loopback cluster)', () => {
  const start = appsClosedAfterEach();
  let fake: SolanaFake;
  let payer: Keypair;

  beforeAll(async () => {
    fake = await new SolanaFake().start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    payer = Keypair.generate();
    fake.ledger.setBalance(payer.publicKey.toBase58(), 2 * SOL);
    Object.assign(fake.faults, { loseSendResponses: 0, swallowSends: 0, httpErrors: [], holdConfirmations: false });
    fake.sent.length = 0;
  });
  afterEach(() => fake.produceBlocks(0));

  const solanaEnv = (extra: Record<string, string> = {}) => ({
    ...database.env(),
    ...fake.env(),
    ...FAST,
    SOLANA_PAYER_SECRET_KEY: bs58.encode(payer.secretKey),
    NFT_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    SOLANA_CONFIRM_TIMEOUT_MS: '10000',
    ...extra,
  });
  const startApp = (extra?: Record<string, string>, redisPrefix?: string) => start({ env: solanaEnv(extra), redisPrefix });

  /** A ticket of its own: the fake counts mint accounts by the metadata URI. */
  const ticket = (overrides: Record<string, unknown> = {}) => {
    const ticketId = `tkt_${randomUUID().slice(0, 8)}`;
    return {
      ticketId,
      recipientWallet: WALLET,
      metadata: { name: 'Main Stage GA', symbol: 'TIX', uri: `https://tickets.example/${ticketId}.json` },
      sellerFeeBasisPoints: 500,
      ...overrides,
    };
  };
  const uriOf = (data: { metadata: { uri: string } }) => data.metadata.uri;

  async function mintJob(app: TestApp, token: string, data: ReturnType<typeof ticket>): Promise<string> {
    const response = await submit(app, token, { type: 'nft-mint', data });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  it('mints the ticket NFT to the recipient, journals its mint key sealed, and enqueues the nft-minted e-mail', async () => {
    const app = await startApp();
    const tenant = newTenant();
    // An endpoint that wants nft.minted, or the mint would write no webhook event.
    await createEndpoint(app, tenant.admin, 'https://venue.example.com/hooks', ['nft.minted']);
    const data = ticket({ recipientEmail: 'fan@example.com' });
    const id = await mintJob(app, tenant.user, data);
    const job = await waitForJobToFinish(app, tenant.user, id);

    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    const result = job.result as { mintAddress: string; signature: string; explorerUrl: string };
    expect(fake.ledger.mintsFor(uriOf(data))).toEqual([
      expect.objectContaining({ mint: result.mintAddress, recipient: WALLET, name: 'Main Stage GA', signature: result.signature }),
    ]);
    expect(result.explorerUrl).toBe(`https://explorer.solana.com/tx/${result.signature}?cluster=custom&customUrl=${encodeURIComponent(fake.url)}`);

    const db = app.app.get(DataSource);
    const [journal] = await db.query(`SELECT details FROM critical_jobs WHERE job_id = $1 AND step = 'mint_key'`, [id]);
    const sealed: string = journal.details.sealedSecretKey;
    const secretKey = openSealed(sealed, `nft-mint:${tenant.tenantId}:${result.mintAddress}`);
    expect(Keypair.fromSecretKey(secretKey).publicKey.toBase58()).toBe(result.mintAddress);
    expect(JSON.stringify(journal)).not.toContain(bs58.encode(secretKey));

    const [email, webhook] = await db.query(`SELECT type, data FROM jobs WHERE parent_job_id = $1 ORDER BY type`, [id]);
    expect(email).toMatchObject({
      type: 'email-send',
      data: { to: 'fan@example.com', template: 'nft-minted', data: { ticketId: data.ticketId, mintAddress: result.mintAddress } },
    });
    // The nft.minted webhook event, written with the completion like the e-mail (no personal data in it).
    expect(webhook).toMatchObject({ type: 'webhook-event', data: { event: 'nft.minted', body: { ticketId: data.ticketId, mintAddress: result.mintAddress } } });
    expect(JSON.stringify(webhook.data)).not.toContain('fan@example.com');
  });

  it('transfers a ticket NFT from the payer wallet after checking it holds it', async () => {
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket({ recipientWallet: payer.publicKey.toBase58() });
    const minted = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data));
    const { mintAddress } = minted.result as { mintAddress: string };

    const response = await submit(app, tenant.user, { type: 'nft-transfer', data: { ticketId: data.ticketId, mintAddress, toWallet: WALLET } });
    const job = await waitForJobToFinish(app, tenant.user, response.body.id);

    expect(job).toMatchObject({ status: 'completed', result: { mintAddress, toWallet: WALLET, signature: expect.any(String) } });
    expect(tokenAmount(mintAddress, WALLET)).toBe(1n);
    expect(tokenAmount(mintAddress, payer.publicKey.toBase58())).toBe(0n);
  });

  it('a transfer whose answer was lost completes on its retry from the recipient holding the token, sending nothing more', async () => {
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket({ recipientWallet: payer.publicKey.toBase58() });
    const { mintAddress } = (await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data))).result as { mintAddress: string };
    fake.sent.length = 0;
    fake.faults.loseSendResponses = 1;
    fake.produceBlocks(5); // a re-run that had to wait out the blockhash would not wait forever

    const response = await submit(app, tenant.user, { type: 'nft-transfer', data: { ticketId: data.ticketId, mintAddress, toWallet: WALLET } });
    const job = await waitForJobToFinish(app, tenant.user, response.body.id);

    expect(fake.errors).toEqual([]);
    expect(job).toMatchObject({ status: 'completed', attempts: 2, result: { signature: fake.sent[0].signature } });
    expect(fake.sent).toHaveLength(1);
    expect(tokenAmount(mintAddress, WALLET)).toBe(1n);
  });

  it.each([
    ['a recipient off the curve (a program address)', { recipientWallet: PublicKey.findProgramAddressSync([Buffer.from('x')], PublicKey.default)[0].toBase58() }, 'invalid_recipient'],
    ['a metadata URI no wallet can fetch', { metadata: { name: 'GA', symbol: 'TIX', uri: 'ftp://tickets.example/1.json' } }, 'invalid_metadata_uri'],
  ])('%s fails for good on its first attempt, before anything is sent', async (_what, overrides, errorType) => {
    const app = await startApp();
    const tenant = newTenant();
    const job = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, ticket(overrides)));
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: errorType, permanent: true } });
    expect(fake.sent).toHaveLength(0);
  });

  it('a lost sendTransaction answer, then a retry: the chain has the mint, so one mint and no second send', async () => {
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket();
    fake.faults.loseSendResponses = 1;
    fake.produceBlocks(5); // a re-run that had to wait out the blockhash would not wait forever
    const job = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data));

    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(1);
    expect(fake.sent).toHaveLength(1);
    expect(job.result).toMatchObject({ mintAddress: fake.ledger.mintsFor(uriOf(data))[0].mint, signature: fake.sent[0].signature });
  });

  it('an expired blockhash, then a retry: signed again with the same mint key after the height passed, one mint', async () => {
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket();
    fake.faults.swallowSends = 1;
    const id = await mintJob(app, tenant.user, data);
    await waitFor(async () => (fake.sent.length === 1 ? true : undefined));
    fake.ledger.expireBlockhashes();
    const job = await waitForJobToFinish(app, tenant.user, id);

    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    const [mint] = fake.ledger.mintsFor(uriOf(data));
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(1);
    expect(fake.sent).toHaveLength(2);
    expect(fake.sent[1].atHeight).toBeGreaterThan(fake.sent[0].lastValidBlockHeight!);
    expect(job.result).toMatchObject({ mintAddress: mint.mint, signature: fake.sent[1].signature });
    expect(fake.landInFlight()).toMatchObject({ landed: 0 }); // the first one can never land now
  });

  it('a re-run while the first transaction may still land waits out its blockhash, and finds it landed', async () => {
    // The first attempt gives up waiting for a confirmation that has not come (the transaction is in flight).
    const app = await startApp({ SOLANA_CONFIRM_TIMEOUT_MS: '1000' });
    const tenant = newTenant();
    const data = ticket();
    fake.faults.swallowSends = 1;
    const id = await mintJob(app, tenant.user, data);
    await waitFor(async () => (fake.sent.length === 1 ? true : undefined));
    // Only a re-run reads the mint account: once it has (and found nothing), the transaction lands.
    const mintAddress = await waitFor(async () => journalledMintAddress(app, id));
    await waitFor(async () => (fake.accountReads.includes(mintAddress) ? true : undefined));
    // Then it either waits (polling the block height) or, wrongly, signs and sends again at once.
    const mark = fake.calls.length;
    const heightPolls = () => fake.calls.slice(mark).filter((method) => method === 'getBlockHeight').length;
    await waitFor(async () => (fake.sent.length > 1 || heightPolls() >= 3 ? true : undefined));
    expect(fake.sent).toHaveLength(1);
    expect(fake.landInFlight()).toEqual({ landed: 1, refused: [] });
    fake.ledger.expireBlockhashes();
    const job = await waitForJobToFinish(app, tenant.user, id);

    expect(job).toMatchObject({ status: 'completed', result: { mintAddress, signature: fake.sent[0].signature } });
    expect(fake.sent).toHaveLength(1);
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(1);
  });

  it('a worker killed after sending and before the confirmation: another worker completes from the chain, one mint', async () => {
    const prefix = newRedisPrefix();
    const api = await startApp({ APP_ROLE: 'api' }, prefix);
    const queue = api.app.get(QueueRegistry).get('money');
    const worker = await startWorkerProcess({ ...solanaEnv(), REDIS_PREFIX: prefix, LOG_LEVEL: 'debug' }, async () => (await queue.getWorkers()).length > 0, 60_000);
    const tenant = newTenant();
    const data = ticket();
    fake.faults.holdConfirmations = true;
    const id = await mintJob(api, tenant.user, data);
    await waitFor(async () => (fake.sent.length === 1 ? true : undefined), 30_000);
    process.kill(worker.pid, 'SIGKILL');
    expect(await worker.stop()).toBe('SIGKILL');
    fake.releaseConfirmations();

    const survivor = await startApp({}, prefix);
    const job = await waitForJobToFinish(survivor, tenant.user, id, 30_000);
    expect(job).toMatchObject({ status: 'completed', result: { signature: fake.sent[0].signature } });
    expect(fake.sent).toHaveLength(1);
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(1);
    const output = worker.output();
    expect(output).toContain('NFTs are minted on Solana');
    for (const secret of [bs58.encode(payer.secretKey), ENCRYPTION_KEY]) expect(output).not.toContain(secret);
  }, 90_000);

  it('429 and 500 answers are retried, and still one mint', async () => {
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket();
    fake.faults.httpErrors.push({ status: 429, method: 'getLatestBlockhash' }, { status: 500, method: 'sendTransaction' });
    // A 500 on a send says nothing of whether it landed: the re-run waits out its blockhash, so blocks must come.
    fake.produceBlocks(5);
    const job = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data));

    expect(job).toMatchObject({ status: 'completed', attempts: 3 });
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(1);
  });

  it('a payer balance below the floor raises an alert and the mint goes ahead', async () => {
    fake.ledger.setBalance(payer.publicKey.toBase58(), 50_000_000);
    const app = await startApp({ SOLANA_PAYER_MIN_BALANCE_LAMPORTS: '100000000' });
    const tenant = newTenant();
    const data = ticket();
    const job = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data));

    expect(job.status).toBe('completed');
    expect(await alertsOf(app, 'nft.payer_balance_low')).toEqual([
      { tenant_id: null, severity: 'warning', details: { payer: payer.publicKey.toBase58(), lamports: 50_000_000, floorLamports: 100_000_000, action: 'mint' } },
    ]);
  });

  it('a payer too poor for the transaction fails the mint for good as insufficient_funds, with a critical alert', async () => {
    fake.ledger.setBalance(payer.publicKey.toBase58(), 20_000);
    const app = await startApp();
    const tenant = newTenant();
    const data = ticket();
    const job = await waitForJobToFinish(app, tenant.user, await mintJob(app, tenant.user, data));

    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'insufficient_funds', permanent: true } });
    expect(fake.ledger.mintsFor(uriOf(data))).toHaveLength(0);
    expect(await alertsOf(app, 'nft.payer_insufficient_funds')).toEqual([
      expect.objectContaining({ severity: 'critical', details: { payer: payer.publicKey.toBase58() } }),
    ]);
  });

  /** The token amount the fake chain holds for `owner`'s associated account of `mint`. */
  function tokenAmount(mint: string, owner: string): bigint {
    const { getAssociatedTokenAddressSync, AccountLayout } = jest.requireActual('@solana/spl-token');
    const address = getAssociatedTokenAddressSync(new PublicKey(mint), new PublicKey(owner), true).toBase58();
    const account = fake.ledger.accounts.get(address);
    return account ? AccountLayout.decode(account.data).amount : 0n;
  }

  async function journalledMintAddress(app: TestApp, id: string): Promise<string | undefined> {
    const [row] = await app.app.get(DataSource).query(`SELECT details FROM critical_jobs WHERE job_id = $1 AND step = 'mint_key'`, [id]);
    return row?.details.mintAddress;
  }

  async function alertsOf(app: TestApp, kind: string) {
    return app.app.get(DataSource).query(
      `SELECT tenant_id, severity, details FROM alert_history WHERE kind = $1 AND details->>'payer' = $2`,
      [kind, payer.publicKey.toBase58()],
    );
  }
});

/** The journal's sealed mint key opened the way MintKeyVault seals it: AES-256-GCM, bound to tenant and mint. */
function openSealed(sealed: string, binding: string): Uint8Array {
  const [format, iv, tag, body] = sealed.split(':');
  expect(format).toBe('aes-256-gcm.v1');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(ENCRYPTION_KEY, 'hex'), Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(binding));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]));
}

