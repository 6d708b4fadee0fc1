import { Keypair } from '@solana/web3.js';
import bs58 from 'bs58';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth } from '../support/job-requests';
import { SolanaFake } from '../support/solana-fake/server';
import { newTenant, TestApp } from '../support/test-app';

// Service-wide alerts are resolved by any check of the database that does not see them fire:
// a database of its own, so no other file's (sandbox) check resolves this one's.
const database = privateDatabaseForThisFile();

const SOL = 1_000_000_000;
const FLOOR = 100_000_000;
const operator = newTenant();
interface CheckBody { firing: string[]; raised: string[]; resolved: string[] }

describe('Monitoring the Solana payer balance (live gateway against the loopback cluster)', () => {
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
    fake.faults.httpErrors = [];
  });

  /** A live app, on an empty alert history: each test's payer is new, and one condition key spans payers. */
  const liveApp = async () => {
    const test = await start({ env: {
      ...database.env(),
      ...fake.env(),
      SOLANA_PAYER_SECRET_KEY: bs58.encode(payer.secretKey),
      NFT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      SOLANA_PAYER_MIN_BALANCE_LAMPORTS: String(FLOOR),
      MONITORING_COOLDOWN_SECONDS: '3600',
    } });
    await test.app.get(DataSource).query(`DELETE FROM alert_history`);
    return test;
  };
  const check = async (test: TestApp): Promise<CheckBody> =>
    (await test.http().post('/monitoring/check').set(auth(operator.admin)).expect(200)).body as CheckBody;
  const payerAlerts = (test: TestApp) => test.app.get(DataSource).query(
    `SELECT id, tenant_id, severity, kind, details, resolved_at FROM alert_history WHERE condition_key = 'solana_payer_balance' AND details->>'payer' = $1`,
    [payer.publicKey.toBase58()],
  );

  it('raises a low payer balance once, keeps it open while the cluster cannot answer, and resolves it once funded', async () => {
    fake.ledger.setBalance(payer.publicKey.toBase58(), 2 * SOL);
    const test = await liveApp();
    const status = await test.http().get('/monitoring/status').set(auth(operator.admin)).expect(200);
    expect(status.body.notChecked).toEqual([]);
    expect(await check(test)).toMatchObject({ firing: [], raised: [] });

    fake.ledger.setBalance(payer.publicKey.toBase58(), FLOOR / 2);
    expect(await check(test)).toMatchObject({ firing: ['solana_payer_balance'], raised: ['solana_payer_balance'] });
    expect(await check(test)).toMatchObject({ firing: ['solana_payer_balance'], raised: [] });
    const [alert, ...others] = await payerAlerts(test);
    expect(others).toEqual([]);
    expect(alert).toMatchObject({
      tenant_id: null, severity: 'warning', kind: 'monitoring.solana_payer_balance', resolved_at: null,
      details: { payer: payer.publicKey.toBase58(), lamports: FLOOR / 2, floorLamports: FLOOR, oneMintLamports: expect.any(Number) },
    });
    expect(JSON.stringify(alert)).not.toContain(bs58.encode(payer.secretKey));

    // Funded, but the balance cannot be read: the alert is not resolved on a guess.
    fake.ledger.setBalance(payer.publicKey.toBase58(), 2 * SOL);
    fake.faults.httpErrors = [{ status: 500, method: 'getBalance' }];
    expect(await check(test)).toMatchObject({ firing: [], resolved: [] });
    expect(fake.faults.httpErrors).toEqual([]);
    expect((await payerAlerts(test))[0].resolved_at).toBeNull();

    expect(await check(test)).toMatchObject({ firing: [], resolved: ['solana_payer_balance'] });
    const [resolved] = await payerAlerts(test);
    expect(resolved).toMatchObject({ id: alert.id });
    expect(resolved.resolved_at).not.toBeNull();
  });

  it('raises a critical alert when the payer cannot pay for one mint', async () => {
    fake.ledger.setBalance(payer.publicKey.toBase58(), 1_000_000);
    const test = await liveApp();
    expect((await check(test)).raised).toEqual(['solana_payer_balance']);
    const [alert] = await payerAlerts(test);
    expect(alert).toMatchObject({ severity: 'critical', details: { lamports: 1_000_000 } });
  });

  it('lists the payer balance as not checked when Solana is not live', async () => {
    const test = await start({ env: database.env() });
    const status = await test.http().get('/monitoring/status').set(auth(operator.admin)).expect(200);
    expect(status.body.notChecked).toEqual([expect.stringContaining('solana_payer_balance')]);
  });
});
