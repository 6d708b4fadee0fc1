import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { AuthUser, Role } from './auth-user';
import { IS_PUBLIC, REQUIRED_ROLES } from './decorators';

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T = AuthUser>(error: unknown, user: T | false, info: unknown): T {
    if (error || !user) {
      const reason = error instanceof UnauthorizedException ? error.message : undefined;
      throw new UnauthorizedException(reason ?? describeTokenProblem(info));
    }
    return user;
  }
}

function describeTokenProblem(info: unknown): string {
  if (info instanceof Error && info.name === 'TokenExpiredError') return 'Token has expired';
  if (info instanceof Error && info.message === 'No auth token') return 'Missing bearer token';
  return 'Invalid token';
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new ForbiddenException(`Requires one of the roles: ${required.join(', ')}`);
  }
}
