export * from './statuses';
export * from './run-outcome';
export * from './admission';
