export * from './free-port';
export * from './app-launcher';
export * from './embedded-postgres';
export * from './nats-server';
export * from './node-settings';
