export * from './forge';
export * from './forge-event';
export * from './forges';
export { describeRef, isObject } from './payload-fields';
export type { JsonObject } from './payload-fields';
export * from './repository-key';
