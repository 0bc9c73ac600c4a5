// What every command shares: one-line errors, no stack traces for a user's mistakes.
import { Command } from "commander";
import { UserError } from "../lib/errors";

/** Collects a repeatable option (`--catalog a --catalog b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Runs a command's action; a user's error prints as one line on stderr and exits 1. */
export async function runCommand(program: Command, argv = process.argv): Promise<void> {
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode;
    if ((error as { code?: string }).code?.startsWith("commander.")) {
      process.exitCode = exitCode ?? 1;
      return;
    }
    const message = error instanceof UserError ? error.message : `internal error: ${(error as Error).message ?? error} (set DEBUG=1 for the stack trace)`;
    process.stderr.write(`error: ${message}\n`);
    if (process.env.DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCode ?? 1;
  }
}

/** Prints warnings on stderr, one per line. */
export function warn(warnings: Iterable<string>): void {
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
}
