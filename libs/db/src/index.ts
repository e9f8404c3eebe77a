export * from './generated/client';
export * from './db.options';
export * from './db.module';
export * from './prisma.service';
export * from './prisma-client.factory';
export * from './migrator';
export * from './migrations-dir';
export * from './run-counts';
