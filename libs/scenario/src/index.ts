export * from './plan';
export { type Endpoints, type RunOptions, type RunResult, runScenario } from './run';
