import { Injectable } from '@nestjs/common';
import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { decode } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { AppConfig } from '../../config/app-config';

export type JwtAlgorithm = 'HS256' | 'RS256';

/**
 * The key that may verify a token, chosen by the algorithm its header names: HS256 only with
 * the shared secret, RS256 only with the configured public key or one from the JWKS URL. The
 * key's type is what jsonwebtoken checks against the algorithm, so an HS256 token signed with
 * the public key as its secret (algorithm confusion) meets the secret and fails.
 * Keys are KeyObjects made once: jsonwebtoken would otherwise convert a string on every verify.
 */
@Injectable()
export class JwtKeys {
  private readonly secret: KeyObject;
  private readonly publicKey?: KeyObject;
  private readonly jwks?: JwksClient;
  /** KeyObjects of the JWKS keys by kid (jwks-rsa caches the set; this saves the conversion). */
  private readonly jwksKeys = new Map<string, KeyObject>();

  constructor(config: AppConfig) {
    const { jwtSecret, publicKeyPem, jwksUrl } = config.auth;
    this.secret = createSecretKey(Buffer.from(jwtSecret, 'utf8'));
    if (publicKeyPem) this.publicKey = createPublicKey(publicKeyPem);
    if (jwksUrl) {
      this.jwks = new JwksClient({
        jwksUri: jwksUrl,
        cache: true,
        cacheMaxAge: 10 * 60_000,
        // An unknown kid costs a fetch: bounded, so forged tokens cannot make the service hammer the issuer.
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        timeout: 5_000,
      });
    }
  }

  get algorithms(): JwtAlgorithm[] {
    return this.publicKey || this.jwks ? ['HS256', 'RS256'] : ['HS256'];
  }

  async keyFor(rawToken: string): Promise<KeyObject> {
    const header = decode(rawToken, { complete: true })?.header;
    if (header?.alg === 'HS256') return this.secret;
    if (header?.alg === 'RS256') {
      if (this.publicKey) return this.publicKey;
      if (this.jwks) return this.fromJwks(header.kid);
    }
    throw new Error('Token algorithm not accepted');
  }

  private async fromJwks(kid: string | undefined): Promise<KeyObject> {
    const cached = kid ? this.jwksKeys.get(kid) : undefined;
    if (cached) return cached;
    const key = createPublicKey((await this.jwks!.getSigningKey(kid)).getPublicKey());
    if (key.asymmetricKeyType !== 'rsa') throw new Error('The JWKS key is not an RSA key');
    if (kid) this.jwksKeys.set(kid, key);
    return key;
  }
}
