import 'reflect-metadata';
export * from './load-config';
export * from './common.env';
export * from './storage.env';
export * from './internal.env';
export * from './exit-on-config-error';
export * from './net-guard.env';
export * from './circleci.env';
