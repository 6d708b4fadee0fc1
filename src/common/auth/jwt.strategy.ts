import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import { AuthUser, Role, ROLES } from './auth-user';

interface JwtClaims {
  sub?: unknown;
  tenantId?: unknown;
  roles?: unknown;
  exp?: unknown;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.auth.jwtSecret,
      // Pinned: a token signed with another algorithm, or `none`, is rejected.
      algorithms: ['HS256'],
      ignoreExpiration: false,
      issuer: config.auth.issuer,
    });
  }

  validate(claims: JwtClaims): AuthUser {
    if (typeof claims.exp !== 'number') throw new UnauthorizedException('Token must expire (exp claim)');
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
}
