export * from './readiness';
export * from './observability.module';
export * from './start-service';
