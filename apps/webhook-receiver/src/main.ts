import 'reflect-metadata';
import { startOrExit } from '@kiln/config';
import { migrate } from '@kiln/db';
import { loadConfig } from './config';
import { startWebhookReceiver } from './start';

startOrExit('webhook-receiver', async () => {
  const config = loadConfig();
  if (config.KILN_MIGRATE_ON_START) await migrate(config.DATABASE_URL);
  await startWebhookReceiver(config);
});
