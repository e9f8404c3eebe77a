export { startNatsServer } from '@kiln/launcher';
export type { NatsServerOptions, RunningNatsServer } from '@kiln/launcher';
