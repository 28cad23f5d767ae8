import { appendFileSync } from 'node:fs';
import { redactCommand } from './errors.ts';

/** Receives one transcript line (no line end). */
export type TraceSink = (line: string) => void;

/**
 * Formats the modem traffic in the simulator's transcript format: `> ` for what the host writes, `< `
 * for what the modem answers (the `> ` prompt shows as `< > `), `# ` for comments. A PIN or PUK the host
 * sends is written as `"****"`, so a capture can be attached to a bug report as is.
 *
 * @example
 * const trace = new Trace((line) => lines.push(line));
 * trace.write('AT+CPIN="1234"'); // '> AT+CPIN="****"'
 */
export class Trace {
  readonly #sink: TraceSink;

  constructor(sink: TraceSink) {
    this.#sink = sink;
  }

  /** What the host wrote: a command line, or a PDU sent after the prompt (its Ctrl-Z is implied). */
  write(text: string): void {
    this.#emit(`> ${redactCommand(text)}`);
  }

  read(line: string): void {
    this.#emit(`< ${line}`);
  }

  prompt(): void {
    this.#emit('< > ');
  }

  comment(text: string): void {
    this.#emit(`# ${text.replace(/[\r\n]+/g, ' ')}`);
  }

  #emit(line: string): void {
    try {
      this.#sink(line);
    } catch {
      // A broken trace file must never stop the modem.
    }
  }
}

/** A sink that appends to a file (synchronously, so a crash loses nothing that was traced). */
export function fileSink(path: string): TraceSink {
  return (line) => appendFileSync(path, `${line}\n`);
}
