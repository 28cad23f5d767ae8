import { appendFileSync, chmodSync, statSync } from 'node:fs';
import { redactCommand } from './errors.ts';

/**
 * Escapes one line of modem traffic for a trace (and the simulator's transcripts): `\\`, `\r`, `\n`,
 * other control characters as `\xNN`, so each exchange stays on one line.
 */
export function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\n') out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}
const escape = escapeText;

/** Receives one transcript line (no line end). */
export type TraceSink = (line: string) => void;

/**
 * Formats the modem traffic in the simulator's transcript format: `> ` for what the host writes (a
 * PDU with its `\x1a`), `< ` for what the modem answers (the prompt is `< >`), `# ` for comments. A PIN
 * or PUK the host sends is written as `"***"` (the replay wildcard), so a capture can be attached to a
 * bug report as is and replayed as a test.
 *
 * @example
 * const trace = new Trace((line) => lines.push(line));
 * trace.write('AT+CPIN="1234"'); // '> AT+CPIN="***"'
 */
export class Trace {
  readonly #sink: TraceSink;

  constructor(sink: TraceSink) {
    this.#sink = sink;
  }

  /** What the host wrote, without the command's CR: a command line, a PDU with Ctrl-Z, an ESC. */
  write(text: string): void {
    this.#emit(`> ${escape(redactCommand(text, '***'))}`);
  }

  read(line: string): void {
    this.#emit(`< ${escape(line)}`);
  }

  prompt(): void {
    this.#emit('< >');
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

/**
 * A sink that appends to a file (synchronously, so a crash loses nothing that was traced). The trace
 * holds PDUs (texts) and numbers: like the database, it is readable by the agent's user only. The file
 * is opened for each line, so one that logrotate moved away is created again, 0600 whatever the umask;
 * one that already exists with looser permissions is tightened when the sink is made (at start).
 */
export function fileSink(path: string): TraceSink {
  tighten(path);
  return (line) => appendFileSync(path, `${line}\n`, { mode: 0o600 });
}

function tighten(path: string): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch {
    // Not there yet (created 0600 by the first line), or not ours to change: the trace is optional.
  }
}
