import { loadConfig, serviceSchema } from '@nuanyang/config';

export const loadIntakeConfig = () => loadConfig(serviceSchema('intake', 50051));
export type IntakeConfig = ReturnType<typeof loadIntakeConfig>;
