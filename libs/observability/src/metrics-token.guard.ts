import { loadEnv } from '@kiln/config';
import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Read by every app through this lib, since every app serves /metrics. */
export class MetricsEnv {
  /** Bearer token a scraper must send to /metrics; unset leaves /metrics open (keep it off public networks). */
  @IsOptional() @IsString() @MinLength(16) KILN_METRICS_TOKEN?: string;
}

export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

export function metricsToken(env: NodeJS.ProcessEnv = process.env): string | null {
  return loadEnv([MetricsEnv], env).KILN_METRICS_TOKEN ?? null;
}

/** `/metrics` answers only `Authorization: Bearer <KILN_METRICS_TOKEN>` when the token is set. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(METRICS_TOKEN) private readonly token: string | null) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.token === null) return true;
    const presented = /^Bearer\s+(\S+)$/i.exec(
      context.switchToHttp().getRequest<Request>().get('authorization') ?? '',
    )?.[1];
    if (presented !== undefined && sameSecret(presented, this.token)) return true;
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    throw new UnauthorizedException('metrics need "Authorization: Bearer <KILN_METRICS_TOKEN>"');
  }
}

// Hashing first gives equal lengths, so the comparison leaks neither the token nor its length.
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
