// The shape of one simulated command family (zwave-js style): `match` says whether it is about this
// command, `handle` answers it and returns true, or returns false to let the next behaviour try.
import type { Command } from './command.ts';
import type { Modem } from './modem.ts';
import type { Timing } from './timing.ts';

export interface Context {
  cmd: Command;
  modem: Modem;
  /** An information line of the answer (`+CSQ: 20,0`). */
  info(...lines: string[]): void;
  ok(): void;
  /** Plain `ERROR`. */
  error(): void;
  /** `+CME ERROR: <n>` (27.007 9.2), or `ERROR` when AT+CMEE=0. */
  cme(code: number): void;
  /** `+CMS ERROR: <n>` (27.005 3.2.5), or `ERROR` when AT+CMEE=0. */
  cms(code: number): void;
  /** Any other final result (`NO CARRIER`, `BUSY`). */
  final(text: string): void;
  /**
   * Answers `> ` and collects what the host types up to Ctrl-Z (or ESC, cancelled = true). `done`
   * answers it through the same context (info/ok/cms...).
   */
  prompt(done: (text: string, cancelled: boolean) => void): void;
  /** Runs `fn` after the final result was written (URCs that follow a command, like +CUSD). */
  after(fn: () => void): void;
  /** Timing model: the answer leaves `ms` later (+CMGS's time on the air). Nothing when timing is off. */
  delay(ms: number): void;
  /** The timing model, null when off. */
  timing: Timing | null;
}

export interface Behavior {
  /** Unique, for replacing or removing a behaviour in a scenario. */
  name: string;
  match(cmd: Command, modem: Modem): boolean;
  handle(ctx: Context): boolean;
}

/** Exists for typing: `export const csq = defineBehavior({ name: 'csq', match, handle })`. */
export function defineBehavior(behavior: Behavior): Behavior {
  return behavior;
}

/** Matches extended commands by name (`is('+CSQ', '+CESQ')`). */
export function is(...names: string[]): (cmd: Command) => boolean {
  const set = new Set(names);
  return (cmd) => set.has(cmd.name);
}
