import { issueToken, type Principal } from '@nuanyang/auth';
import { type GrpcService, LOCAL_PORTS } from '@nuanyang/config';
import { type Command, Option } from 'commander';
import * as parse from './parse';

/** Where `make start` (deploy/local/start.js) runs each service: the one local port table. */
export type ServiceName = GrpcService;
export const DEFAULT_PORTS = Object.fromEntries(
  Object.entries(LOCAL_PORTS).filter(([name]) => name !== 'gateway'),
) as Record<ServiceName, number>;

/** The local stack's secret (deploy/local/start.js): for local demo runs only. */
export const DEMO_JWT_SECRET = 'nuanyang-local-dev-secret';

/** Who the CLI acts as when no --token is given. */
export const CLI_OPERATOR: Principal = {
  subject: 'nuanyang-cli',
  organisationId: 'coordination-centre',
  roles: ['operator'],
};

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

interface GlobalOptions extends Partial<Record<ServiceName, string>> {
  host: string;
  secret: string;
  token?: string;
  deadline: number;
}

/** The options every command takes: where the services are and who the CLI is. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(
      new Option('--host <host>', 'host of every service, at its default port')
        .default('127.0.0.1')
        .argParser(parse.host),
    )
    .addOption(
      new Option('--secret <secret>', 'JWT secret the services verify tokens with')
        .env('JWT_SECRET')
        .default(DEMO_JWT_SECRET, 'the local demo secret'),
    );
  for (const [name, port] of Object.entries(DEFAULT_PORTS))
    program.addOption(
      new Option(`--${name} <address>`, `${name} service (default: <host>:${port})`).argParser(parse.address),
    );
  program
    .addOption(
      new Option(
        '--token <jwt>',
        'bearer token to call with (default: one issued from the secret, role operator)',
      ).env('NUANYANG_TOKEN'),
    )
    .addOption(
      new Option('--deadline <duration>', 'deadline of each call, e.g. 30s')
        .default(30, '30s')
        .argParser(parse.duration),
    );
}

export class Context {
  private readonly options: GlobalOptions;

  constructor(command: Command) {
    this.options = command.optsWithGlobals<GlobalOptions>();
  }

  address(service: ServiceName): string {
    return this.options[service] ?? `${this.options.host}:${DEFAULT_PORTS[service]}`;
  }

  get secret(): string {
    return this.options.secret;
  }

  get deadlineMs(): number {
    return this.options.deadline * 1000;
  }

  /** The --token given, else an operator's token issued from the secret. */
  token(): string {
    return this.options.token || issueToken(CLI_OPERATOR, this.options.secret, 3600);
  }
}
