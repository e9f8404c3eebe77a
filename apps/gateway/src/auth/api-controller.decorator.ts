import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiTags } from '../common/api-docs';
import { AuthGuard } from './auth.guard';
import { TokenRateLimitGuard } from './rate-limit.guard';

/**
 * A tenant API controller: authenticated (failures limited per address), then rate-limited per
 * token, documented under `tag`.
 * (Health and metrics controllers live outside /api and need none of this.)
 */
export function ApiController(path: string, tag: string) {
  return applyDecorators(
    Controller(path),
    ApiTags(tag),
    ApiBearerAuth(),
    ApiSecurity('api-key'),
    UseGuards(AuthGuard, TokenRateLimitGuard),
  );
}
