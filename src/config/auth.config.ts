import { createPublicKey, randomBytes } from 'node:crypto';
import * as Joi from 'joi';

/**
 * Where a development server that generated its JWT secret writes it, for `npm run token`
 * (relative to the working directory; git-ignored).
 */
export const DEVELOPMENT_SECRET_FILE = '.dev-jwt-secret';

/**
 * The JWT secret of this process when none is configured outside production: random, so no
 * public string ever signs a token the service accepts. Production refuses to start without one.
 */
export const GENERATED_JWT_SECRET = randomBytes(32).toString('base64url');

export interface AuthEnvironment {
  JWT_SECRET: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  JWT_MAX_LIFETIME: number;
  JWT_CLOCK_SKEW_SECONDS: number;
  JWT_PUBLIC_KEY?: string;
  JWT_JWKS_URL?: string;
}

/** An RSA public key in PEM (`\n` written out as two characters is accepted, as env files often carry it). */
const rsaPublicKey: Joi.CustomValidator<string> = (value, helpers) => {
  const pem = value.replace(/\\n/g, '\n');
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return helpers.message({ custom: '{{#label}} must be an RSA public key (RS256)' });
  } catch {
    return helpers.message({ custom: '{{#label}} must be a PEM-encoded public key' });
  }
  return pem;
};

export const AUTH_ENVIRONMENT_SCHEMA = {
  JWT_SECRET: Joi.string().when('NODE_ENV', {
    is: 'production',
    then: Joi.string().min(32).required(),
    otherwise: Joi.string().min(16).default(GENERATED_JWT_SECRET),
  }),
  JWT_ISSUER: Joi.string().max(200).optional(),
  JWT_AUDIENCE: Joi.string().max(200).optional(),
  // Seconds between iat and exp, at most; a token without iat may expire at most this far from now.
  JWT_MAX_LIFETIME: Joi.number().integer().min(60).max(30 * 24 * 3600).default(24 * 3600),
  JWT_CLOCK_SKEW_SECONDS: Joi.number().integer().min(0).max(300).default(30),
  JWT_PUBLIC_KEY: Joi.string().custom(rsaPublicKey).optional(),
  JWT_JWKS_URL: Joi.string().uri({ scheme: ['http', 'https'] }).optional(),
};

/** Problems that need two variables at once. */
export function authProblems(env: AuthEnvironment): string[] {
  return env.JWT_PUBLIC_KEY && env.JWT_JWKS_URL ? ['JWT_JWKS_URL: give JWT_PUBLIC_KEY or JWT_JWKS_URL, not both'] : [];
}

/** How tokens are verified: a section of AppConfig. */
export class AuthConfig {
  /** HS256 tokens; also the key the dashboard's session cookies are derived from. */
  readonly jwtSecret: string;
  /** True when no JWT_SECRET was given and this process made one up (development and test only). */
  readonly secretGenerated: boolean;
  readonly issuer?: string;
  readonly audience?: string;
  readonly maxLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
  /** RS256 tokens are accepted beside HS256 when one of these is set. */
  readonly publicKeyPem?: string;
  readonly jwksUrl?: string;

  constructor(env: AuthEnvironment) {
    this.jwtSecret = env.JWT_SECRET;
    this.secretGenerated = env.JWT_SECRET === GENERATED_JWT_SECRET;
    this.issuer = env.JWT_ISSUER;
    this.audience = env.JWT_AUDIENCE;
    this.maxLifetimeSeconds = env.JWT_MAX_LIFETIME;
    this.clockSkewSeconds = env.JWT_CLOCK_SKEW_SECONDS;
    this.publicKeyPem = env.JWT_PUBLIC_KEY;
    this.jwksUrl = env.JWT_JWKS_URL;
  }
}
