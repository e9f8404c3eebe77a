export * from './http.errors';
export * from './error-body';
export * from './http-error.filter';
export * from './body-parser-errors.middleware';
