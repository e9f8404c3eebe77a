import { INestApplication } from '@nestjs/common';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { Express, NextFunction, Request, Response } from 'express';
import { bodyParserErrors, errorBody } from '@kiln/errors';
import { applyApiDocs } from './common/api-docs';
import { ForbiddenKeyError } from './common/api-errors';
import { GatewayConfig } from './config';
import { serveWebUi } from './web-ui';

/** Routes every app keeps at the root (probes and scrapers do not know about /api). */
export const ROOT_ROUTES = ['healthz', 'readyz', 'metrics'];

/** HTTP set-up shared by main.ts and the tests: prefix, body limits, OpenAPI, the web UI. */
export function configureGateway(app: NestExpressApplication, config: GatewayConfig): void {
  // X-Forwarded-For names the client only when the hop that sent it is a proxy the operator listed.
  app.set('trust proxy', config.KILN_TRUSTED_PROXIES.length > 0 ? config.KILN_TRUSTED_PROXIES : false);
  app.use(requireJsonBodies);
  app.useBodyParser('json', { limit: config.KILN_GATEWAY_BODY_LIMIT, reviver: refuseProtoKeys });
  app.use(bodyParserErrors(config.KILN_GATEWAY_BODY_LIMIT, 'KILN_GATEWAY_BODY_LIMIT'));
  app.setGlobalPrefix('api', { exclude: ROOT_ROUTES });
  serveApiDocs(app);
  serveWebUi(app, config);
}

/** The OpenAPI document (`/api/docs-json`, `/api/docs-yaml`) and its UI (`/api/docs`). */
const API_DOCS_PATH = /^\/api\/docs(?:-json|-yaml|\/|$)/;

/**
 * Serves the API's documentation from an application of its own, made at the first request for
 * it: @nestjs/swagger loads then, not at start (see common/api-docs.ts), and the document is
 * built once and kept.
 */
function serveApiDocs(app: NestExpressApplication): void {
  let docs: Promise<Express> | undefined;
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!API_DOCS_PATH.test(req.path)) return next();
    // Made once: the decorators' applications are used up by the first attempt, so one that
    // failed would leave a later document incomplete; its error answers every request instead.
    docs ??= apiDocs(app);
    docs.then((handler) => handler(req, res, next), next);
  });
}

async function apiDocs(app: NestExpressApplication): Promise<Express> {
  const swagger = await import('@nestjs/swagger');
  applyApiDocs(swagger);
  const adapter = new ExpressAdapter();
  // Of the application it is given, SwaggerModule.setup uses its HTTP adapter and static assets.
  const host = {
    getHttpAdapter: () => adapter,
    useStaticAssets: (path: string, options: { prefix?: string }) => adapter.useStaticAssets(path, options),
  };
  const document = () =>
    swagger.SwaggerModule.createDocument(
      app,
      new swagger.DocumentBuilder()
        .setTitle('Kiln API')
        .setDescription(
          'Tenant REST API of Kiln. JSON is snake_case; errors are {statusCode, error, message, details?}.',
        )
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API token (kiln_…)' })
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
        .build(),
    );
  swagger.SwaggerModule.setup('api/docs', host as unknown as INestApplication, document, {
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
  });
  return adapter.getInstance<Express>();
}

/** A body the API cannot read is refused up front (415) instead of being silently ignored. */
function requireJsonBodies(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (!req.path.startsWith('/api/') || !hasBody || req.is('application/json') || req.is('application/*+json'))
    return next();
  const message = `request bodies must be application/json, not ${req.get('content-type') ?? 'untyped'}`;
  res.status(415).json(errorBody(415, message));
}

/** `__proto__` in a body could replace a DTO's prototype when it is turned into a class instance. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new ForbiddenKeyError(key);
  return value;
}
