import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError } from '../common/errors';
import { AuthedRequest } from './actor';
import { AuthService } from './auth.service';
import { PLATFORM_ADMIN } from './platform-admin.decorator';

/** Every API route: a valid token is required; routes marked @PlatformAdmin() need a platform admin. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    req.actor = await this.auth.authenticate(req);
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
