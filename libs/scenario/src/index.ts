export * from './plan';
export {
  type Endpoints,
  type RunOptions,
  type RunResult,
  runScenario,
  STAGES,
  type Stage,
  volunteerUserId,
} from './run';
