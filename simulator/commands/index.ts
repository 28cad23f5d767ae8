import type { CommandDefinition } from '../../core/command.ts';
import replay from './replay.ts';
import simulate from './simulate.ts';

/** The CLI commands that belong to the simulator; core/cli.ts lists them when the simulator is installed. */
export const commands: CommandDefinition[] = [simulate, replay];
