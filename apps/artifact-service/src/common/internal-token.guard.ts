import { safeEqual } from '@kiln/crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Request } from 'express';
import { ARTIFACT_CONFIG, ArtifactConfig } from '../config';
import { UnauthenticatedError } from '@kiln/errors';

export const INTERNAL_TOKEN_HEADER = 'x-kiln-internal-token';

/** Only callers presenting KILN_INTERNAL_TOKEN (executors) reach the internal API. */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  constructor(@Inject(ARTIFACT_CONFIG) private readonly config: ArtifactConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.KILN_INTERNAL_TOKEN;
    const given = context.switchToHttp().getRequest<Request>().headers[INTERNAL_TOKEN_HEADER];
    if (typeof given !== 'string' || given === '') {
      throw new UnauthenticatedError('the X-Kiln-Internal-Token header is required');
    }
    if (!safeEqual(given, expected))
      throw new UnauthenticatedError('the X-Kiln-Internal-Token header is wrong');
    return true;
  }
}
