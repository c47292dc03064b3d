export * from './client';
export * from './context';
export * from './errors';
export * from './handlers';
export { authInterceptor, loggingInterceptor, PRINCIPAL_KEY } from './interceptors';
export * from './runtime';
export * from './server';
export * from './paging';
