import { Command, CommanderError } from 'commander';
import { demoCommand } from './commands/demo';
import { exportCommand } from './commands/export';
import { summaryCommand } from './commands/summary';
import { tokenCommand } from './commands/token';
import { addGlobalOptions, type Io } from './context';
import { CliError, describeServiceError, isServiceError } from './errors';

/** Exit codes: 0 done, 1 the command failed (a gRPC error, a file not written), 2 bad arguments. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function createProgram(io: Io): Command {
  const program = new Command('nuanyang')
    .description("Nuanyang operators' command line: demo data, tokens, the reporting summary and CSV exports")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nServices default to 127.0.0.1 at the ports `make start` uses; --host moves them all, --<service> one.\n' +
        'Errors from the services print as one line (status, then what is wrong) with exit code 1; bad\n' +
        'arguments exit with 2.',
    );
  addGlobalOptions(program);
  demoCommand(program, io);
  tokenCommand(program, io);
  summaryCommand(program, io);
  exportCommand(program, io);
  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args…); resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // Commander has already printed its message (or the help).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const message =
      err instanceof CliError
        ? err.message
        : isServiceError(err)
          ? describeServiceError(err)
          : err instanceof Error
            ? err.message
            : String(err);
    io.stderr.write(`nuanyang: ${message}\n`);
    return EXIT.failed;
  }
}
