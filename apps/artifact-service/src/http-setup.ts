import { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Upload bodies are streamed to storage by the handler. Nest's default JSON and form parsers
 * would read them into memory first (and refuse JSON files over 100 kB), so they are registered
 * here matching nothing: Nest then skips its own. This service takes no parsed bodies.
 */
export function configureHttp(app: NestExpressApplication): void {
  app.useBodyParser('json', { type: () => false });
  app.useBodyParser('urlencoded', { type: () => false });
}
