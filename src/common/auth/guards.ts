import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { AuthUser, Role } from './auth-user';
import { IS_PUBLIC, REQUIRED_ROLES } from './decorators';
import { RefusedRequests } from './refused-requests';

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly refusals: RefusedRequests,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (error) {
      return this.refusals.refuse(context, error);
    }
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
  constructor(
    private readonly reflector: Reflector,
    private readonly refusals: RefusedRequests,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    return this.refusals.refuse(context, new ForbiddenException(`Requires one of the roles: ${required.join(', ')}`));
  }
}
