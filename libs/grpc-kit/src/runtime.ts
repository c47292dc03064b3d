import type { Logger } from '@nuanyang/logger';

/**
 * Process lifecycle: registered stop steps run in reverse order on SIGTERM or SIGINT (stop taking calls,
 * stop consumers, close connections, flush telemetry), then the process exits.
 */
export class ServiceRuntime {
  private readonly steps: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        this.log.info({ signal }, 'shutting down');
        void this.stop().then(() => process.exit(0));
      });
    }
  }

  onStop(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.stop();
        } catch (err) {
          this.log.error({ err, step: step.name }, 'error while stopping');
        }
      }
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  /** Logs a start-up failure clearly and exits non-zero. */
  static fail(log: Logger, err: unknown): never {
    log.fatal({ err }, `start-up failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
