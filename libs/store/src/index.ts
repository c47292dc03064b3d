export {
  AggregateNotFoundError,
  AggregateStore,
  type AggregateStoreOptions,
  type AppendOptions,
  type Change,
  type Decision,
  type EventDraft,
  VersionConflictError,
  type WriteResult,
} from './aggregate-store';
export { connectMongo, isDuplicateKey } from './connection';
export { KeyedAggregateStore } from './keyed-aggregate-store';
export { startRelay } from './relay';
