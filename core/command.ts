import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes; tests pass their own streams. */
export interface CommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/**
 * One CLI subcommand. A file in core/commands/ that default-exports one of these is a subcommand:
 * adding a subcommand is adding a file.
 *
 * @example
 * export default defineCommand({
 *   name: 'hello', summary: 'print a greeting', usage: 'hello [--name N]',
 *   async run(argv, io) { io.stdout.write('hello\n'); return 0; },
 * });
 */
export interface CommandDefinition {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code (0 when omitted). Long-running commands resolve when they end. */
  run(argv: string[], io: CommandIO): Promise<number | void> | number | void;
}

export function defineCommand(def: CommandDefinition): CommandDefinition {
  return def;
}

/** Thrown for bad command-line usage; the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'usage';
}
