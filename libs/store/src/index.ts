export { connectMongo, isDuplicateKey } from './connection';
export {
  type Actor,
  AggregateNotFoundError,
  type Change,
  type Decide,
  type Decision,
  type EventDraft,
  type EventMeta,
  type EventStore,
  IdempotencyKeyReusedError,
  VersionConflictError,
  type WriteOptions,
  type WriteResult,
} from './event-store';
export { JetStreamStore, type JetStreamStoreOptions, retryingNats } from './jetstream-store';
export { type CasKeyValue, MemoryKeyValue, natsKeyValue, type Revisioned } from './key-value';
export { MemoryStore, type RecordedEvent } from './memory-store';
export { Projection, type ProjectionOptions, type ReadDocument, readModel } from './projection';
