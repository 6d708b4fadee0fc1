import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import { AuthUser, Role, ROLES } from './auth-user';
import { JwtKeys } from './jwt-keys';

export interface JwtClaims {
  sub?: unknown;
  tenantId?: unknown;
  roles?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/** What validate needs of the configuration (the unit spec builds it by hand). */
export type JwtLimits = Pick<AppConfig['auth'], 'maxLifetimeSeconds' | 'clockSkewSeconds'>;

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  private readonly limits: JwtLimits;

  constructor(config: AppConfig, keys: JwtKeys) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: Request, rawToken: string, done: (error: unknown, key?: string | Buffer) => void) => {
        // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject; its typings name only strings and buffers.
        keys.keyFor(rawToken).then((key) => done(null, key as unknown as Buffer), (error: unknown) => done(error));
      },
      // Pinned: a token signed with another algorithm, or `none`, is rejected; RS256 only with a key for it.
      algorithms: keys.algorithms,
      // exp is strict; the clock skew allowance is for iat only (userOfClaims).
      ignoreExpiration: false,
      issuer: config.auth.issuer,
      audience: config.auth.audience,
    });
    this.limits = config.auth;
  }

  validate(claims: JwtClaims): AuthUser {
    return userOfClaims(claims, this.limits);
  }
}

/**
 * The claims of a verified token as the caller, or 401. Lifetime: `exp - iat` at most
 * JWT_MAX_LIFETIME, and `iat` not later than now plus the clock skew; a token without `iat`
 * (API.md does not require one) is accepted only if it expires within JWT_MAX_LIFETIME from now.
 */
export function userOfClaims(claims: JwtClaims, limits: JwtLimits, nowSeconds = Math.floor(Date.now() / 1000)): AuthUser {
  if (typeof claims.exp !== 'number') throw new UnauthorizedException('Token must expire (exp claim)');
  const max = limits.maxLifetimeSeconds;
  if (claims.iat === undefined) {
    if (claims.exp - nowSeconds > max) throw new UnauthorizedException(`Token without iat must expire within ${max} s`);
  } else {
    if (typeof claims.iat !== 'number') throw new UnauthorizedException('Token iat claim must be a number');
    if (claims.iat > nowSeconds + limits.clockSkewSeconds) throw new UnauthorizedException('Token was issued in the future (iat claim)');
    if (claims.exp - claims.iat > max) throw new UnauthorizedException(`Token lifetime exceeds ${max} s (exp - iat)`);
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
    throw new UnauthorizedException('Token has no subject (sub claim)');
  }
  if (typeof claims.tenantId !== 'string' || !isUUID(claims.tenantId)) {
    throw new UnauthorizedException('Token has no valid tenantId claim');
  }
  if (!Array.isArray(claims.roles) || !claims.roles.every((role) => ROLES.includes(role))) {
    throw new UnauthorizedException(`Token roles must be a list of ${ROLES.join(', ')}`);
  }
  return { userId: claims.sub, tenantId: claims.tenantId.toLowerCase(), roles: claims.roles as Role[] };
}
