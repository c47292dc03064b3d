export * from './aggregate-store';
export { connectMongo, isDuplicateKey } from './connection';
export { startRelay } from './relay';
