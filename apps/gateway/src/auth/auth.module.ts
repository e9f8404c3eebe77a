import { Global, Module } from '@nestjs/common';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { ProjectAccessService } from './project-access.service';
import { TokenRateLimitGuard } from './rate-limit.guard';
import { TokenIssuer } from './token-issuer.service';

/** Authentication, tenant access checks and token issuing, for every feature module. */
@Global()
@Module({
  providers: [
    AuthService,
    AuthGuard,
    AuthFailureLimiter,
    TokenRateLimitGuard,
    ProjectAccessService,
    TokenIssuer,
    AdminBootstrapService,
  ],
  exports: [
    AuthService,
    AuthGuard,
    AuthFailureLimiter,
    TokenRateLimitGuard,
    ProjectAccessService,
    TokenIssuer,
  ],
})
export class AuthModule {}
