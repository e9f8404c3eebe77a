import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Response } from 'express';
import { ForbiddenError, UnauthenticatedError } from '@kiln/errors';
import { AuthedRequest } from './actor';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { AuthService } from './auth.service';
import { PLATFORM_ADMIN } from './platform-admin.decorator';

/**
 * Every API route: a valid token is required; routes marked @PlatformAdmin() need a platform admin.
 * An address that failed too often is refused before its token is even looked up.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const client = req.ip ?? 'unknown';
    this.failures.assertAllowed(client, context.switchToHttp().getResponse<Response>());
    req.actor = await this.auth.authenticate(req).catch((error: unknown) => {
      if (error instanceof UnauthenticatedError) this.failures.recordFailure(client);
      throw error;
    });
    const adminOnly = this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (adminOnly && !req.actor.isAdmin) {
      throw new ForbiddenError('only a platform admin (with a token that has the "admin" scope) may do this');
    }
    return true;
  }
}
