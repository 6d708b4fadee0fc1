import { createHmac, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign, SignOptions } from 'jsonwebtoken';
import { TEST_JWT_SECRET } from '../support/test-env';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Token lifetime, iat, audience and RS256 (a PEM key, or a JWKS served from loopback) beside
 * HS256. Each app here is an API process only: tokens are all they are asked about.
 */
const MAX_LIFETIME = 3600;
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ tenantId: randomUUID(), roles: ['venue_admin'] });
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const pemOf = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

function hs256(payload: object, options: SignOptions = {}): string {
  return sign(payload, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'user-1', expiresIn: 600, ...options });
}

/** An HS256 token whose exp (and iat, unless left out) are the payload's own. */
function hs256Timed(payload: { exp: number; iat?: number }): string {
  return sign({ ...claims(), ...payload }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'user-1', noTimestamp: payload.iat === undefined });
}

/** An HS256 token whose HMAC key is the given text: how a public key is abused as a secret. */
function hmacSignedWith(secret: string, payload: object): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

async function statusWith(test: TestApp, token: string): Promise<{ status: number; message?: string }> {
  const response = await test.http().get('/queues').set('Authorization', `Bearer ${token}`);
  return { status: response.status, message: response.body.message };
}

describe('Token lifetime and iat (HS256)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp({ env: { APP_ROLE: 'api', JWT_MAX_LIFETIME: String(MAX_LIFETIME), JWT_CLOCK_SKEW_SECONDS: '30' } });
  });
  afterAll(() => test?.close());

  it('accepts a token within the lifetime, and one issued a little ahead within the clock skew', async () => {
    expect(await statusWith(test, hs256(claims(), { expiresIn: MAX_LIFETIME }))).toEqual({ status: 200 });
    const ahead = now() + 10;
    expect(await statusWith(test, hs256Timed({ iat: ahead, exp: ahead + 60 }))).toEqual({ status: 200 });
  });

  it('refuses a token whose exp - iat exceeds JWT_MAX_LIFETIME', async () => {
    expect(await statusWith(test, hs256(claims(), { expiresIn: MAX_LIFETIME + 1 })))
      .toEqual({ status: 401, message: `Token lifetime exceeds ${MAX_LIFETIME} s (exp - iat)` });
  });

  it('refuses a token issued in the future beyond the clock skew', async () => {
    const future = now() + 120;
    expect(await statusWith(test, hs256Timed({ iat: future, exp: future + 60 })))
      .toEqual({ status: 401, message: 'Token was issued in the future (iat claim)' });
  });

  it('caps a token without iat: it must expire within JWT_MAX_LIFETIME from now', async () => {
    const noIat = (exp: number) => hs256Timed({ exp });
    expect(await statusWith(test, noIat(now() + 600))).toEqual({ status: 200 });
    expect(await statusWith(test, noIat(now() + MAX_LIFETIME + 120)))
      .toEqual({ status: 401, message: `Token without iat must expire within ${MAX_LIFETIME} s` });
  });

  it('refuses RS256 when no public key is configured', async () => {
    const { privateKey } = rsa();
    const token = sign(claims(), privateKey, { algorithm: 'RS256', subject: 'user-1', expiresIn: 600 });
    expect(await statusWith(test, token)).toEqual({ status: 401, message: 'Invalid token' });
  });
});

describe('RS256 with JWT_PUBLIC_KEY, and JWT_AUDIENCE', () => {
  const AUDIENCE = 'queue-service';
  const { privateKey, publicKey } = rsa();
  const publicPem = pemOf(publicKey);
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp({ env: { APP_ROLE: 'api', JWT_PUBLIC_KEY: publicPem, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(() => test?.close());

  const rs256 = (audience: string | null = AUDIENCE, key: KeyObject = privateKey) =>
    sign(claims(), key, { algorithm: 'RS256', subject: 'user-1', expiresIn: 600, ...(audience ? { audience } : {}) });

  it('accepts an RS256 token verified with the public key, and HS256 beside it', async () => {
    expect(await statusWith(test, rs256())).toEqual({ status: 200 });
    expect(await statusWith(test, hs256(claims(), { audience: AUDIENCE }))).toEqual({ status: 200 });
  });

  it('refuses an RS256 token signed by another key', async () => {
    expect(await statusWith(test, rs256(AUDIENCE, rsa().privateKey))).toEqual({ status: 401, message: 'Invalid token' });
  });

  it('refuses a token for another audience, or for none', async () => {
    expect(await statusWith(test, rs256('another-service'))).toEqual({ status: 401, message: 'Invalid token' });
    expect(await statusWith(test, rs256(null))).toEqual({ status: 401, message: 'Invalid token' });
    expect(await statusWith(test, hs256(claims()))).toEqual({ status: 401, message: 'Invalid token' });
  });

  it('refuses an HS256 token forged with the public key as its secret (algorithm confusion)', async () => {
    const payload = { ...claims(), sub: 'attacker', aud: AUDIENCE, iat: now(), exp: now() + 600 };
    for (const secret of [publicPem, publicPem.trim()]) {
      expect(await statusWith(test, hmacSignedWith(secret, payload))).toEqual({ status: 401, message: 'Invalid token' });
    }
  });
});

describe('RS256 with keys from JWT_JWKS_URL', () => {
  const signing = rsa();
  let server: Server;
  let fetches = 0;
  let test: TestApp;

  beforeAll(async () => {
    const jwk = { ...signing.publicKey.export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };
    server = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    test = await startTestApp({ env: { APP_ROLE: 'api', JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` } });
  });
  afterAll(async () => {
    await test?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const rs256 = (kid: string, key: KeyObject = signing.privateKey) =>
    sign(claims(), key, { algorithm: 'RS256', subject: 'user-1', expiresIn: 600, keyid: kid });

  it('accepts a token signed by the key the JWKS names, fetching the set once', async () => {
    expect(await statusWith(test, rs256('key-1'))).toEqual({ status: 200 });
    expect(await statusWith(test, rs256('key-1'))).toEqual({ status: 200 });
    expect(fetches).toBe(1);
  });

  it('refuses a token signed by another key under the same kid, and one with a kid the set does not have', async () => {
    expect(await statusWith(test, rs256('key-1', rsa().privateKey))).toEqual({ status: 401, message: 'Invalid token' });
    expect(await statusWith(test, rs256('key-2'))).toEqual({ status: 401, message: 'Invalid token' });
  });
});
