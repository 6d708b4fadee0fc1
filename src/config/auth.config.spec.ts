import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthConfig, GENERATED_JWT_SECRET } from './auth.config';
import { InvalidEnvironmentError, validateEnvironment } from './environment';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
  throw new Error('expected the environment to be refused');
}

describe('JWT settings', () => {
  it('without JWT_SECRET outside production, makes up a random secret of this process and says so', () => {
    const config = new AuthConfig(validateEnvironment({}));
    expect(config.jwtSecret).toBe(GENERATED_JWT_SECRET);
    expect(config.secretGenerated).toBe(true);
    expect(GENERATED_JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(GENERATED_JWT_SECRET).not.toBe('development-only-secret-never-use-in-production');
    expect(new AuthConfig(validateEnvironment({ JWT_SECRET: 's'.repeat(20) })).secretGenerated).toBe(false);
  });

  it('defaults the lifetime to 24 h and the clock skew to 30 s; no audience and no RS256 key', () => {
    expect(new AuthConfig(validateEnvironment({}))).toMatchObject({
      maxLifetimeSeconds: 86_400, clockSkewSeconds: 30, audience: undefined, publicKeyPem: undefined, jwksUrl: undefined,
    });
  });

  it('reads an RSA public key from JWT_PUBLIC_KEY, with its newlines written out as \\n too', () => {
    expect(validateEnvironment({ JWT_PUBLIC_KEY: RSA_PEM }).JWT_PUBLIC_KEY).toBe(RSA_PEM);
    expect(validateEnvironment({ JWT_PUBLIC_KEY: RSA_PEM.replace(/\n/g, '\\n') }).JWT_PUBLIC_KEY).toBe(RSA_PEM);
  });

  it('reads JWT_PUBLIC_KEY_FILE through the secret-files mechanism', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jwt-key-')), 'public.pem');
    writeFileSync(path, RSA_PEM);
    expect(validateEnvironment({ JWT_PUBLIC_KEY_FILE: path }).JWT_PUBLIC_KEY).toBe(RSA_PEM.replace(/\n$/, ''));
  });

  it('refuses a public key that is not PEM, one that is not RSA, and a key together with a JWKS URL', () => {
    expect(problemsOf({ JWT_PUBLIC_KEY: 'not a key' })).toEqual(['JWT_PUBLIC_KEY: JWT_PUBLIC_KEY must be a PEM-encoded public key']);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(problemsOf({ JWT_PUBLIC_KEY: ec })).toEqual(['JWT_PUBLIC_KEY: JWT_PUBLIC_KEY must be an RSA public key (RS256)']);
    expect(problemsOf({ JWT_PUBLIC_KEY: RSA_PEM, JWT_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json' }))
      .toEqual(['JWT_JWKS_URL: give JWT_PUBLIC_KEY or JWT_JWKS_URL, not both']);
    expect(problemsOf({ JWT_JWKS_URL: 'ftp://auth.example.com/jwks' })[0]).toMatch(/^JWT_JWKS_URL:/);
  });

  it('bounds the lifetime and the clock skew', () => {
    expect(problemsOf({ JWT_MAX_LIFETIME: '10' })[0]).toMatch(/^JWT_MAX_LIFETIME:/);
    expect(problemsOf({ JWT_CLOCK_SKEW_SECONDS: '3600' })[0]).toMatch(/^JWT_CLOCK_SKEW_SECONDS:/);
  });
});
