export * from './git-env';
export * from './git-runner';
