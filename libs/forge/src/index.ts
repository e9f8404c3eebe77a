export * from './forge';
export * from './forges';
