import { issueToken, ROLES, type Role } from '@nuanyang/auth';
import { type Command, Option } from 'commander';
import { Context, type Io } from '../context';
import * as parse from '../parse';

interface TokenOptions {
  org: string;
  roles: Role[];
  subject?: string;
  ttl: number;
}

export function tokenCommand(program: Command, io: Io): void {
  program
    .command('token')
    .description('print a bearer token (JWT) for an organisation and roles, signed with the secret')
    .requiredOption('--org <id>', 'organisation id (the org claim)', parse.nonEmpty)
    .addOption(
      new Option('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
        .argParser(parse.roles)
        .makeOptionMandatory(),
    )
    .option('--subject <subject>', 'user id (the sub claim; default <first role>@<org>)', parse.nonEmpty)
    .addOption(
      new Option('--ttl <duration>', 'lifetime, e.g. 30m, 12h, 7d')
        .default(12 * 3600, '12h')
        .argParser(parse.duration),
    )
    .addHelpText(
      'after',
      '\nExample:\n  nuanyang token --org coordination-centre --roles operator,verifier --ttl 8h',
    )
    .action(function (this: Command, options: TokenOptions) {
      const context = new Context(this);
      const subject = options.subject ?? `${options.roles[0]}@${options.org}`;
      const token = issueToken(
        { subject, organisationId: options.org, roles: options.roles },
        context.secret,
        options.ttl,
      );
      io.stdout.write(`${token}\n`);
    });
}
