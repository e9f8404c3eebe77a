export * from './address-ranges';
export * from './allow-list';
export * from './net-guard';
export * from './guarded-request';
export * from './repo-url';
export * from './repo-guard';
export * from './guards-from-config';
