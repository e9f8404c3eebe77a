import 'reflect-metadata';
import { startOrExit } from '@kiln/config';
import { startService } from '@kiln/observability';
import { AppModule } from './app.module';
import { loadConfig } from './config';

startOrExit('pod-executor', async () => {
  const config = loadConfig();
  await startService(AppModule.forRoot(config), {
    port: config.KILN_EXECUTOR_PORT,
    host: config.KILN_INTERNAL_BIND_HOST,
  });
});
