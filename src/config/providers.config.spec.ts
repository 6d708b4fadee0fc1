import bs58 from 'bs58';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidEnvironmentError, validateEnvironment } from './environment';
import { ProvidersConfig } from './providers.config';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) };
const LIVE_STRIPE = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123' };

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
  throw new Error('expected the environment to be refused');
}

describe('provider configuration', () => {
  it('outside production, a provider without credentials runs in the sandbox', () => {
    const providers = new ProvidersConfig(validateEnvironment({ NODE_ENV: 'development', ...LIVE_STRIPE }));
    expect(providers.modes).toEqual({ stripe: 'live', email: 'sandbox', sms: 'sandbox', solana: 'sandbox' });
  });

  it('in production, names every missing credential of every enabled provider in one error', () => {
    const problems = problemsOf({ ...PRODUCTION, ...LIVE_STRIPE, PROVIDERS_DISABLED: 'solana' });
    expect(problems).toEqual([
      'SMTP_URL, MAIL_FROM: required in production for email (or list email in PROVIDERS_DISABLED)',
      'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM: required in production for sms (or list sms in PROVIDERS_DISABLED)',
    ]);
  });

  it('in production, a provider listed in PROVIDERS_DISABLED needs nothing and is disabled', () => {
    const env = validateEnvironment({ ...PRODUCTION, ...LIVE_STRIPE, PROVIDERS_DISABLED: 'email, sms,solana' });
    expect(new ProvidersConfig(env).modes).toEqual({ stripe: 'live', email: 'disabled', sms: 'disabled', solana: 'disabled' });
  });

  it('refuses WEBHOOK_ALLOW_LOOPBACK=true in production, and allows it elsewhere', () => {
    const everyProviderOff = { ...PRODUCTION, PROVIDERS_DISABLED: 'stripe,email,sms,solana' };
    expect(problemsOf({ ...everyProviderOff, WEBHOOK_ALLOW_LOOPBACK: 'true' })).toEqual([
      'WEBHOOK_ALLOW_LOOPBACK: WEBHOOK_ALLOW_LOOPBACK may not be true in production',
    ]);
    expect(validateEnvironment({ ...everyProviderOff, WEBHOOK_ALLOW_LOOPBACK: 'false' }).WEBHOOK_ALLOW_LOOPBACK).toBe(false);
    expect(validateEnvironment({ NODE_ENV: 'test', WEBHOOK_ALLOW_LOOPBACK: 'true' }).WEBHOOK_ALLOW_LOOPBACK).toBe(true);
  });

  it('refuses an unknown provider name in PROVIDERS_DISABLED', () => {
    expect(problemsOf({ PROVIDERS_DISABLED: 'stripe,paypal' })[0]).toMatch(/^PROVIDERS_DISABLED/);
  });

  it('reads a secret from <NAME>_FILE, without its trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    writeFileSync(join(dir, 'stripe'), 'sk_test_fromfile\n');
    expect(validateEnvironment({ STRIPE_SECRET_KEY_FILE: join(dir, 'stripe') }).STRIPE_SECRET_KEY).toBe('sk_test_fromfile');
  });

  it('refuses both <NAME> and <NAME>_FILE, and a file that cannot be read, naming only the variable', () => {
    const problems = problemsOf({ STRIPE_SECRET_KEY: 'sk_test_a1', STRIPE_SECRET_KEY_FILE: '/etc/hostname', SMTP_URL_FILE: '/no/such/file' });
    expect(problems).toEqual([
      'STRIPE_SECRET_KEY_FILE: give STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_FILE, not both',
      'SMTP_URL_FILE: cannot read the file it names',
    ]);
  });

  it('never quotes a badly formed secret in its error', () => {
    const problems = problemsOf({ STRIPE_SECRET_KEY: 'pk_live_leakme', TWILIO_ACCOUNT_SID: 'ACnotvalid' });
    expect(problems.join(' ')).not.toContain('leakme');
    expect(problems.join(' ')).not.toContain('ACnotvalid');
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['STRIPE_SECRET_KEY', 'TWILIO_ACCOUNT_SID']);
  });

  it('takes the Solana payer key as base58 or a JSON byte array, and the encryption key as hex or base64', () => {
    const secret = Uint8Array.from({ length: 64 }, (_, index) => index);
    const key = Buffer.alloc(32, 7);
    for (const payer of [bs58.encode(secret), JSON.stringify([...secret])]) {
      for (const encryption of [key.toString('hex'), key.toString('base64')]) {
        const env = validateEnvironment({ SOLANA_RPC_URL: 'http://127.0.0.1:8899', SOLANA_PAYER_SECRET_KEY: payer, NFT_KEY_ENCRYPTION_KEY: encryption });
        expect(new ProvidersConfig(env).modes.solana).toBe('live');
      }
    }
  });

  it('refuses a malformed Solana payer or encryption key without quoting it', () => {
    const problems = problemsOf({ SOLANA_PAYER_SECRET_KEY: 'leakme-not-a-key', NFT_KEY_ENCRYPTION_KEY: 'leakme-too-short' });
    expect(problems).toEqual([
      'SOLANA_PAYER_SECRET_KEY: SOLANA_PAYER_SECRET_KEY must be a 64-byte Solana secret key, base58 or a JSON byte array',
      'NFT_KEY_ENCRYPTION_KEY: NFT_KEY_ENCRYPTION_KEY must be a 32-byte key, 64 hex characters or base64',
    ]);
    expect(problems.join(' ')).not.toContain('leakme');
  });
});
