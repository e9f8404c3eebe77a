export * from './names';
export * from './free-port';
export * from './embedded-postgres';
export * from './git-repo';
export * from './apps';
export * from './nats-server';
export * from './s3-server';
export * from './database';
