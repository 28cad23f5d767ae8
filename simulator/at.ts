// The AT engine: turns the host's bytes into command lines (V.250 5.2.1: ended by S3 = CR, LF
// ignored, BS edits), runs them through the behaviours, and frames the answers as a modem does
// (V.250 5.7.1, verbose: `\r\n<info>\r\n` ... `\r\nOK\r\n`). Output faults are applied here.
import type { Context } from './behavior.ts';
import { parseCommands, type Command } from './command.ts';
import type { Modem } from './modem.ts';
import { Line, type Timing } from './timing.ts';

const CTRL_Z = 0x1a;
const ESC = 0x1b;

/** V.250 5.7.1 numeric result codes for ATV0. */
const NUMERIC: Record<string, string> = { OK: '0', CONNECT: '1', RING: '2', 'NO CARRIER': '3', ERROR: '4', 'NO DIALTONE': '6', BUSY: '7', 'NO ANSWER': '8' };

interface PromptState {
  text: string;
  done: (text: string, cancelled: boolean) => void;
  answer: Answer;
}

interface Answer {
  lines: string[];
  final: string | null;
  isError: boolean;
  after: (() => void)[];
  /** Timing model: how long the modem takes before this answer leaves (command latency, network time). */
  latency: number;
}

/** How the AT engine frames and paces its output. */
export interface EngineOptions {
  /** The timing model; null answers at once (unit tests). */
  timing?: Timing | null;
  /** Line ending of everything the modem writes: V.250's CRLF, or a firmware's CR-only / LF-only. */
  lineEnding?: '\r\n' | '\r' | '\n';
}

export class AtEngine {
  readonly #modem: Modem;
  readonly #write: (bytes: Buffer) => void;
  #line = '';
  #prompt: PromptState | null = null;
  #out: Promise<void> = Promise.resolve();
  /** Writes queued behind a slow answer. */
  #delayed = 0;
  /** Host writes seen and lines answered, for Simulator.transcript(). */
  readonly #record: ((dir: '>' | '<', text: string) => void) | null;
  readonly #timing: Timing | null;
  readonly #eol: string;
  /** The two directions of the serial line (full duplex), paced at the baud rate when timing is on. */
  readonly #rx: Line;
  readonly #tx: Line;
  #in: Promise<void> = Promise.resolve();
  /** Bumped on reset: input still on its way from a closed port is dropped. */
  #generation = 0;

  constructor(modem: Modem, write: (bytes: Buffer) => void, record?: (dir: '>' | '<', text: string) => void, opts: EngineOptions = {}) {
    this.#modem = modem;
    this.#write = write;
    this.#record = record ?? null;
    this.#timing = opts.timing ?? null;
    this.#eol = opts.lineEnding ?? '\r\n';
    this.#rx = new Line(() => modem.clock.now());
    this.#tx = new Line(() => modem.clock.now());
    modem.connect((lines) => this.#urc(lines));
  }

  /** The host (re)opened the port: a half-typed line is gone; a hang that lasts until reopen ends. */
  reset(): void {
    this.#generation++;
    this.#in = Promise.resolve();
    this.#rx.reset();
    this.#line = '';
    this.#prompt = null;
    const hang = this.#modem.faults.get('hang');
    if (hang && (hang.opts.until ?? 'reopen') === 'reopen') this.#modem.faults.delete('hang');
  }

  /** Bytes from the host; with the timing model they arrive once the line has carried them. */
  input(data: Buffer): void {
    const timing = this.#timing;
    if (!timing) return this.#consume(data);
    const clock = this.#modem.clock;
    const due = clock.now() + this.#rx.reserve(timing.wireMs(data.length));
    const generation = this.#generation;
    this.#in = this.#in
      .then(() => {
        const wait = due - clock.now();
        return wait >= 1 ? clock.sleep(wait, this.#modem.closed) : undefined;
      })
      .then(() => { if (generation === this.#generation) this.#consume(data); }, () => {});
  }

  #consume(data: Buffer): void {
    if (this.#modem.hasFault('hang')) return; // a hung modem reads nothing and says nothing
    let echo = '';
    for (const byte of data) {
      const ch = String.fromCharCode(byte);
      if (this.#prompt) {
        if (this.#modem.settings.echo) echo += ch;
        if (byte === CTRL_Z || byte === ESC) {
          const prompt = this.#prompt;
          this.#prompt = null;
          if (echo) this.#send(echo, { echo: true });
          echo = '';
          this.#record?.('>', prompt.text + ch);
          this.#finishPrompt(prompt, byte === ESC);
        } else if (byte !== 0x0d && byte !== 0x0a) {
          this.#prompt.text += ch;
        }
        continue;
      }
      if (this.#modem.settings.echo) echo += ch;
      if (byte === 0x0d) {
        const line = this.#line;
        this.#line = '';
        if (echo) this.#send(echo, { echo: true });
        echo = '';
        this.#commandLine(line);
      } else if (byte === 0x08) {
        this.#line = this.#line.slice(0, -1);
      } else if (byte === 0x0a || byte === CTRL_Z || byte === ESC) {
        // LF after CR, or a stray Ctrl-Z/ESC a host sends to leave a prompt it lost track of.
        if (byte !== 0x0a) this.#line = '';
      } else {
        this.#line += ch;
      }
    }
    if (echo) this.#send(echo, { echo: true });
  }

  #commandLine(raw: string): void {
    const at = raw.search(/AT/i);
    if (at < 0) return; // V.250 5.2.1: characters before "AT" are ignored; a line without it is no command
    const body = raw.slice(at + 2);
    this.#record?.('>', raw.slice(at));
    const commands = parseCommands(body);
    const answer: Answer = { lines: [], final: null, isError: false, after: [], latency: 0 };
    if (!commands) {
      answer.final = 'ERROR';
      answer.isError = true;
      this.#flush(answer);
      return;
    }
    if (commands.length === 0) {
      answer.final = 'OK';
      this.#flush(answer);
      return;
    }
    for (const cmd of commands) {
      answer.final = null;
      const prompted = this.#run(cmd, answer);
      if (prompted) return; // the rest of the line is ignored; the answer comes after Ctrl-Z
      if (answer.isError || answer.final !== 'OK') break;
    }
    this.#flush(answer);
  }

  /** Runs one command; true when it opened a `> ` prompt. */
  #run(cmd: Command, answer: Answer): boolean {
    let promptDone: ((text: string, cancelled: boolean) => void) | null = null;
    const ctx = this.#context(cmd, answer, (done) => (promptDone = done));
    if (this.#timing) answer.latency += this.#timing.latencyOf(cmd.name);
    const behavior = this.#modem.behaviors.find((b) => b.match(cmd, this.#modem) && b.handle(ctx));
    if (promptDone) {
      this.#prompt = { text: '', done: promptDone, answer };
      this.#send('\r\n> ', { response: false, latency: answer.latency, record: ['> '] });
      answer.latency = 0;
      return true;
    }
    if (!behavior) {
      answer.final = 'ERROR';
      answer.isError = true;
    } else if (answer.final === null) {
      answer.final = 'OK';
    }
    return false;
  }

  #finishPrompt(prompt: PromptState, cancelled: boolean): void {
    const answer = prompt.answer;
    answer.lines = [];
    answer.final = null;
    prompt.done(prompt.text, cancelled);
    if (answer.final === null) answer.final = 'OK';
    this.#flush(answer);
  }

  #context(cmd: Command, answer: Answer, onPrompt: (done: (text: string, cancelled: boolean) => void) => void): Context {
    const modem = this.#modem;
    const fail = (text: string) => {
      answer.final = text;
      answer.isError = true;
    };
    return {
      cmd,
      modem,
      info: (...lines) => void answer.lines.push(...lines),
      ok: () => void (answer.final = 'OK'),
      error: () => fail('ERROR'),
      cme: (code) => fail(modem.settings.cmee === 0 ? 'ERROR' : modem.settings.cmee === 2 ? `+CME ERROR: ${cmeText(code)}` : `+CME ERROR: ${code}`),
      cms: (code) => fail(modem.settings.cmee === 0 ? 'ERROR' : `+CMS ERROR: ${code}`),
      final: (text) => fail(text),
      prompt: (done) => onPrompt(done),
      after: (fn) => void answer.after.push(fn),
      delay: (ms) => void (answer.latency += this.#timing ? ms : 0),
      timing: this.#timing,
    };
  }

  #flush(answer: Answer): void {
    const v = this.#modem.settings.verbose;
    let lines = answer.lines;
    const inject = lines.length > 0 ? this.#modem.takeFault('urc-inside-response') : null;
    if (inject) lines = [lines[0]!, ...((inject.lines as string[]) ?? []), ...lines.slice(1)];
    // V.250 5.7.1: information text is framed once (<CR><LF>text<CR><LF>), its lines apart by CRLF.
    let text = lines.length === 0 ? '' : v ? `\r\n${lines.join('\r\n')}\r\n` : `${lines.join('\r\n')}\r\n`;
    if (answer.final !== null) text += v ? `\r\n${answer.final}\r\n` : `${NUMERIC[answer.final] ?? answer.final}\r`;
    const record = answer.final !== null ? [...lines, answer.final] : lines;
    this.#send(text, { response: true, latency: answer.latency, record });
    answer.latency = 0;
    for (const fn of answer.after) fn();
  }

  #urc(lines: string[]): void {
    const v = this.#modem.settings.verbose;
    this.#send(v ? `\r\n${lines.join('\r\n')}\r\n` : `${lines.join('\r\n')}\r\n`, { record: lines });
  }

  /**
   * Writes in order; a response (not echo or URC) goes through the output faults. `latency` is the
   * modem's own time before it starts writing; `record` the lines the transcript notes when they leave.
   */
  #send(text: string, o: { response?: boolean; latency?: number; record?: string[]; echo?: boolean } = {}): void {
    const response = o.response ?? false;
    // Echo repeats what the host typed; the modem's own lines end as its firmware ends them.
    if (!o.echo && this.#eol !== '\r\n') text = text.replaceAll('\r\n', this.#eol);
    let bytes: Buffer = Buffer.from(text, 'latin1');
    let delay = o.latency ?? 0;
    if (response) {
      const garbage = this.#modem.takeFault('garbage');
      if (garbage) bytes = Buffer.concat([(garbage.bytes as Buffer | undefined) ?? Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x41, 0x54]), bytes]);
      const drop = this.#modem.takeFault('drop-chars');
      if (drop) bytes = dropChars(bytes, (drop.chars as number | undefined) ?? 1);
      const slow = this.#modem.takeFault('slow');
      if (slow) delay += (slow.ms as number | undefined) ?? 5000;
    }
    const out = bytes;
    const record = o.record ?? [];
    const timing = this.#timing;
    if (delay === 0 && this.#delayed === 0 && !timing) {
      // Nothing slow queued: write now, so an answer leaves before what follows it (a reset, a URC).
      for (const l of record) this.#record?.('<', l);
      this.#write(out);
      return;
    }
    this.#delayed++;
    const clock = this.#modem.clock;
    const signal = this.#modem.closed;
    this.#out = this.#out
      .then(async () => {
        if (delay > 0) await clock.sleep(delay, signal);
        if (timing) {
          const wire = this.#tx.reserve(timing.wireMs(out.length));
          if (wire >= 1) await clock.sleep(wire, signal);
        }
        for (const l of record) this.#record?.('<', l);
        this.#write(out);
      })
      .catch(() => {})
      .finally(() => void this.#delayed--);
  }
}

/** Drops `n` characters from the middle of the longest line (a UART overrun loses bytes, not lines). */
function dropChars(bytes: Buffer, n: number): Buffer {
  const text = bytes.toString('latin1');
  const lines = text.split('\r\n');
  let longest = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.length > lines[longest]!.length) longest = i;
  const l = lines[longest]!;
  const at = Math.floor(l.length / 2);
  lines[longest] = l.slice(0, at) + l.slice(at + n);
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** 27.007 9.2.1 verbose texts for the codes the simulator uses. */
export function cmeText(code: number): string {
  const texts: Record<number, string> = {
    0: 'phone failure', 3: 'operation not allowed', 4: 'operation not supported', 10: 'SIM not inserted',
    11: 'SIM PIN required', 12: 'SIM PUK required', 13: 'SIM failure', 14: 'SIM busy', 15: 'SIM wrong',
    16: 'incorrect password', 21: 'invalid index', 22: 'not found', 30: 'no network service', 50: 'incorrect parameters',
    100: 'unknown',
  };
  return texts[code] ?? 'unknown';
}
