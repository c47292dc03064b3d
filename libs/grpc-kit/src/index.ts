export * from './client';
export * from './context';
export * from './errors';
export * from './handlers';
export * from './health-client';
export { authInterceptor, loggingInterceptor, PRINCIPAL_KEY } from './interceptors';
export * from './paging';
export * from './runtime';
export * from './server';
