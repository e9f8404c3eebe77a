import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayConfig } from './config';

const NOT_UI = /^\/(api|healthz|readyz|metrics)(\/|$)/;

/**
 * Serves the web UI's build (apps/web/dist) when it exists: its files, and index.html for any
 * other page path so the UI's client-side routes survive a reload.
 */
export function serveWebUi(app: NestExpressApplication, config: GatewayConfig): void {
  const dir = webDir(config);
  if (!dir) return;
  new Logger('WebUi').log({ dir }, 'serving the web UI');
  app.useStaticAssets(dir, { index: false, fallthrough: true, maxAge: '1h' });
  const index = join(dir, 'index.html');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || NOT_UI.test(req.path) || /\.[a-z0-9]+$/i.test(req.path)) return next();
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
}

function webDir(config: GatewayConfig): string | null {
  const candidates = config.KILN_WEB_DIR
    ? [resolve(config.KILN_WEB_DIR)]
    : // Source (ts) and compiled (dist/) layouts sit at different depths below the repository.
      [
        resolve('apps/web/dist'),
        resolve(__dirname, '../../../apps/web/dist'),
        resolve(__dirname, '../../../../apps/web/dist'),
      ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}
