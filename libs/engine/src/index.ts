export * from './statuses';
export * from './run-outcome';
