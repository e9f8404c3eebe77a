export * from './forge';
export * from './forge-event';
export * from './forges';
export { describeRef, isObject, JsonObject } from './payload-fields';
export * from './repository-key';
