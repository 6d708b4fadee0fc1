import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { sign, verify } from 'jsonwebtoken';
import type { AppConfig } from '../../config/app-config';
import { JwtKeys } from './jwt-keys';
import { userOfClaims } from './jwt.strategy';

const NOW = 1_800_000_000;
const LIMITS = { maxLifetimeSeconds: 3600, clockSkewSeconds: 30 };
const valid = { sub: 'u-1', tenantId: randomUUID(), roles: ['user'] };

describe('userOfClaims', () => {
  it('accepts a lifetime of exactly the maximum and an iat within the clock skew', () => {
    expect(userOfClaims({ ...valid, iat: NOW, exp: NOW + 3600 }, LIMITS, NOW)).toMatchObject({ userId: 'u-1' });
    expect(userOfClaims({ ...valid, iat: NOW + 30, exp: NOW + 90 }, LIMITS, NOW)).toMatchObject({ userId: 'u-1' });
  });

  it.each([
    ['a lifetime one second too long', { iat: NOW, exp: NOW + 3601 }, 'Token lifetime exceeds 3600 s (exp - iat)'],
    ['an iat past the clock skew', { iat: NOW + 31, exp: NOW + 90 }, 'Token was issued in the future (iat claim)'],
    ['an iat that is no number', { iat: 'now', exp: NOW + 90 }, 'Token iat claim must be a number'],
    ['no iat and an exp beyond the maximum from now', { exp: NOW + 3601 }, 'Token without iat must expire within 3600 s'],
    ['no exp', { iat: NOW }, 'Token must expire (exp claim)'],
  ])('refuses %s', (_case, times, message) => {
    expect(() => userOfClaims({ ...valid, ...times }, LIMITS, NOW)).toThrow(message);
  });

  it('accepts no iat when the token expires within the maximum from now', () => {
    expect(userOfClaims({ ...valid, exp: NOW + 3600 }, LIMITS, NOW)).toMatchObject({ userId: 'u-1' });
  });
});

describe('JwtKeys', () => {
  const secret = 'unit-secret-of-enough-length-0123456789';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keysWith = (auth: Partial<AppConfig['auth']>) => new JwtKeys({ auth: { jwtSecret: secret, ...auth } } as AppConfig);

  it('offers RS256 only with a public key or a JWKS URL', () => {
    expect(keysWith({}).algorithms).toEqual(['HS256']);
    expect(keysWith({ publicKeyPem }).algorithms).toEqual(['HS256', 'RS256']);
    expect(keysWith({ jwksUrl: 'http://127.0.0.1:1/jwks' }).algorithms).toEqual(['HS256', 'RS256']);
  });

  it('chooses the key by the algorithm: the secret for HS256 and the public key for RS256, each the same KeyObject every time', async () => {
    const keys = keysWith({ publicKeyPem });
    const hs = sign({ a: 1 }, secret, { algorithm: 'HS256' });
    const rs = sign({ a: 1 }, privateKey, { algorithm: 'RS256' });
    const [secretKey, again, rsaKey] = await Promise.all([keys.keyFor(hs), keys.keyFor(hs), keys.keyFor(rs)]);
    expect(secretKey.type).toBe('secret');
    expect(again).toBe(secretKey);
    expect(rsaKey.type).toBe('public');
    expect(verify(hs, secretKey, { algorithms: ['HS256'] })).toMatchObject({ a: 1 });
    expect(verify(rs, rsaKey, { algorithms: ['RS256'] })).toMatchObject({ a: 1 });
  });

  it('refuses RS256 without a key for it, and every other algorithm', async () => {
    await expect(keysWith({}).keyFor(sign({ a: 1 }, privateKey, { algorithm: 'RS256' }))).rejects.toThrow('Token algorithm not accepted');
    await expect(keysWith({ publicKeyPem }).keyFor(sign({ a: 1 }, secret, { algorithm: 'HS512' }))).rejects.toThrow('Token algorithm not accepted');
    await expect(keysWith({}).keyFor('not.a.token')).rejects.toThrow('Token algorithm not accepted');
  });
});
