import { loadConfig, serviceSchema } from '@nuanyang/config';

export const loadIntakeConfig = () => loadConfig(serviceSchema('intake'));
export type IntakeConfig = ReturnType<typeof loadIntakeConfig>;
