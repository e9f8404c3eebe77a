import { startService, StartedService } from '@kiln/observability';
import { AppModule } from './app.module';
import { WebhookConfig } from './config';
import { configureHttp } from './http/configure-http';

/** Creates and starts the receiver (main.ts, tests and the benchmark start it the same way). */
export function startWebhookReceiver(config: WebhookConfig, port = config.KILN_WEBHOOK_PORT): Promise<StartedService> {
  return startService(AppModule.forRoot(config), {
    port,
    rawBody: true,
    configure: (app) => configureHttp(app, config),
  });
}
