export * from './distance';
export { greedyMatch, matchOne } from './greedy';
export { checkInstance, compareNeeds, groupKey, PlanError, referenceTime } from './instance';
export * from './objective';
export { type OptimiseStats, optimise } from './optimise';
export { prng } from './random';
export { solveTransport, type TransportFlow, type TransportResult } from './transport';
export * from './types';
