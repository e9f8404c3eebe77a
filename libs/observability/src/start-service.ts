import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

export interface StartedService {
  app: NestExpressApplication;
  url: string;
}

export interface StartOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Keep the raw request body (webhook signatures are computed over the exact bytes). */
  rawBody?: boolean;
  configure?: (app: NestExpressApplication) => void;
}

/**
 * Creates a Nest app with pino as its logger and shutdown hooks (SIGTERM/SIGINT let
 * in-flight work finish before exit), then listens.
 */
export async function startService(module: Type<unknown> | DynamicModule, opts: StartOptions): Promise<StartedService> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    rawBody: opts.rawBody ?? false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  opts.configure?.(app);
  await app.listen(opts.port, opts.host ?? '0.0.0.0');
  return { app, url: serviceUrl(app) };
}

export function serviceUrl(app: INestApplication): string {
  const address = app.getHttpServer().address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}
