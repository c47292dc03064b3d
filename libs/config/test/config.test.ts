import { ConfigError, loadConfig, serviceSchema } from '@nuanyang/config';

const good = {
  MONGO_URL: 'mongodb://127.0.0.1:37017/',
  NATS_URL: 'nats://127.0.0.1:14222',
  JWT_SECRET: 'x'.repeat(16),
};

describe('loadConfig(serviceSchema)', () => {
  it('fills defaults from the service name and port', () => {
    expect(loadConfig(serviceSchema('intake'), good)).toMatchObject({
      GRPC_ADDRESS: '127.0.0.1:50051',
      MONGO_DATABASE: 'nuanyang_intake',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: 10_000,
    });
  });

  it('coerces numbers from strings', () => {
    expect(
      loadConfig(serviceSchema('reporting'), { ...good, SHUTDOWN_GRACE_MS: '2500' }).SHUTDOWN_GRACE_MS,
    ).toBe(2500);
  });

  it('names every bad variable in one error', () => {
    const env = {
      NATS_URL: '',
      JWT_SECRET: 'short',
      GRPC_ADDRESS: 'nowhere',
      LOG_LEVEL: 'loud',
      MONGO_DATABASE: 'a b',
    };
    let error: unknown;
    try {
      loadConfig(serviceSchema('intake'), env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'MONGO_URL',
      'NATS_URL',
      'JWT_SECRET',
      'GRPC_ADDRESS',
      'LOG_LEVEL',
      'MONGO_DATABASE',
    ]) {
      expect(message).toContain(`${name}:`);
    }
  });

  it.each([
    ['MONGO_URL', 'postgres://db'],
    ['GRPC_ADDRESS', '127.0.0.1:70000'],
    ['SHUTDOWN_GRACE_MS', '-1'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig(serviceSchema('intake'), { ...good, [name]: value })).toThrow(
      new RegExp(`${name}:`),
    );
  });
});
