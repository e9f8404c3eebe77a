import 'reflect-metadata';
import { startOrExit } from '@kiln/config';
import { migrate } from '@kiln/db';
import { startService } from '@kiln/observability';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import { configureHttp } from './http-setup';

startOrExit('artifact-service', async () => {
  const config = loadConfig();
  if (config.KILN_MIGRATE_ON_START) await migrate(config.DATABASE_URL);
  await startService(AppModule.forRoot(config), {
    port: config.KILN_ARTIFACT_PORT,
    host: config.KILN_INTERNAL_BIND_HOST,
    configure: configureHttp,
  });
});
