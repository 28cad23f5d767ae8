import type { CommandDefinition } from './command.ts';

// The one file of core/ and plugins/ that reaches into simulator/ (test/core/layers.test.ts checks
// that), and only on request: a modem with `port: 'simulator'`, or the simulator's own CLI commands.
// The simulator is a development tool beside the product; a production install may leave it out.

/** Loads the simulator; it registers the `simulator` port with the modem plugin as it loads. */
export async function loadSimulator(): Promise<void> {
  try {
    await import('../simulator/index.ts');
  } catch (error) {
    if (!missing(error)) throw error;
    throw new Error('port "simulator" needs the modem simulator, which this installation does not include', { cause: error });
  }
}

/** The simulator's CLI commands (`simulate`, `replay`); none when the simulator is not installed. */
export async function simulatorCommands(): Promise<CommandDefinition[]> {
  try {
    return (await import('../simulator/commands/index.ts')).commands;
  } catch (error) {
    if (missing(error)) return [];
    throw error;
  }
}

/** The simulator itself is absent (not some module it imports). Exported for its test. */
export function missing(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === 'ERR_MODULE_NOT_FOUND' && /[\\/]simulator[\\/](index|commands)/.test(e.message ?? '');
}
