import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { classifyLine, infoPrefixOf, parseFinal, type FinalResult } from './classify.ts';
import { AtError } from './errors.ts';
import { LineSplitter } from './lines.ts';
import { CommandQueue, Waitress } from './queue.ts';
import type { Trace } from './trace.ts';
import { UrcCollector, UrcRegistry } from './urc.ts';

export interface AtEngineOptions {
  /** Writes to the port; rejects when the port is gone. */
  write(data: string): Promise<void> | void;
  clock: Clock;
  log: Logger;
  trace?: Trace;
  /** Default time a command waits for its final result. */
  timeoutMs?: number;
}

export interface SendOptions {
  timeoutMs?: number;
  /** Prefix of the command's information lines; derived from the command by default, null for none. */
  prefix?: string | null;
  /** 27.005 3.5.1: after the `> ` prompt, this PDU is written and ended with Ctrl-Z. */
  pdu?: string;
  /**
   * Some modems (Wavecom, on AT+CPIN?) never send the final OK after the information line: once a
   * line with the prefix has come, the command is complete after this quiet period.
   */
  settleMs?: number;
}

export interface AtResponse {
  command: string;
  /** Information lines, in order (echo, URCs and empty lines removed). */
  lines: string[];
  final: FinalResult;
}

type Signal = { kind: 'final'; final: FinalResult } | { kind: 'prompt' } | { kind: 'settled' };

interface Pending {
  command: string;
  echoes: string[];
  prefix: string | null;
  lines: string[];
  awaitingPrompt: boolean;
}

const CTRL_Z = '\x1a';
const ESC = '\x1b';

/**
 * The AT engine: splits and classifies what the modem says, hands URCs to their handlers wherever
 * they appear (also between a command's answer lines), and runs commands one at a time, each waiting
 * for its own final result.
 *
 * @example
 * const at = new AtEngine({ write: (d) => port.write(d), clock, log });
 * port.on('data', (chunk) => at.feed(chunk));
 * at.urcs.on('+CMTI:', ([line]) => ...);
 * const { lines } = await at.send('AT+CSQ'); // ['+CSQ: 20,99']
 */
export class AtEngine {
  readonly urcs = new UrcRegistry();
  readonly #opts: AtEngineOptions;
  readonly #splitter = new LineSplitter();
  readonly #queue = new CommandQueue();
  readonly #signals: Waitress<Signal>;
  #pending: Pending | undefined;
  #collector: UrcCollector | undefined;
  #settleTimer: AbortController | undefined;
  /** Lines seen since creation: a cheap liveness figure for health. */
  linesRead = 0;
  noiseLines = 0;

  constructor(options: AtEngineOptions) {
    this.#opts = options;
    this.#signals = new Waitress<Signal>(options.clock);
  }

  /** Feeds data read from the port. */
  feed(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    for (const token of this.#splitter.push(text)) {
      if (token.kind === 'prompt') this.#onPrompt();
      else this.#onLine(token.text);
    }
    if (this.#pending?.awaitingPrompt && this.#splitter.takeBarePrompt()) this.#onPrompt();
  }

  /**
   * Queues a command and resolves with its information lines when it ends in OK; rejects with an
   * AtError otherwise (cme_error/cms_error with the code and meaning, at_error, timeout, closed).
   */
  send(command: string, options: SendOptions = {}): Promise<AtResponse> {
    return this.#queue.run(() => this.#execute(command, options));
  }

  /** Writes bytes outside any command (the ESC that clears a half-sent message), traced. */
  raw(data: string): Promise<void> {
    return this.#write(data, data);
  }

  /** Commands queued or running. */
  get depth(): number {
    return this.#queue.depth;
  }

  /** The port is gone: fail the running command and everything queued with closed. */
  close(reason = 'port closed'): void {
    const error = new AtError('closed', this.#pending?.command ?? '', reason);
    this.#queue.close(error);
    this.#signals.rejectAll(error);
    this.#settleTimer?.abort();
    this.#pending = undefined;
    this.#collector = undefined;
    this.#splitter.reset();
  }

  /** A (re)opened port: accept commands again. */
  open(): void {
    this.#splitter.reset();
    this.#queue.open();
  }

  async #execute(command: string, options: SendOptions): Promise<AtResponse> {
    const timeoutMs = options.timeoutMs ?? this.#opts.timeoutMs ?? 5000;
    const pending: Pending = {
      command,
      echoes: [command],
      prefix: options.prefix === undefined ? infoPrefixOf(command) : options.prefix,
      lines: [],
      awaitingPrompt: options.pdu !== undefined,
    };
    const settleMs = options.settleMs;
    this.#pending = pending;
    const timeout = () => new AtError('timeout', command, `no answer within ${timeoutMs} ms`);
    try {
      if (options.pdu !== undefined) {
        const prompted = this.#signals.waitFor((s) => s.kind === 'prompt' || s.kind === 'final', timeoutMs, timeout);
        // Waits made before a write that can fail (the port is gone) are rejected later by close() or the
        // timeout with nobody awaiting them: marked handled here, or the process dies of an unhandled rejection.
        prompted.catch(() => {});
        await this.#write(`${command}\r`, command);
        let first: Signal;
        try {
          first = await prompted;
        } catch (error) {
          // 27.005 3.5.1: ESC aborts the message; without it the modem keeps swallowing our next command.
          await this.#write(ESC, ESC).catch(() => {});
          throw error;
        }
        if (first.kind === 'final') return this.#conclude(pending, first.final);
        pending.awaitingPrompt = false;
        pending.echoes.push(options.pdu);
        const done = this.#signals.waitFor((s) => s.kind === 'final', timeoutMs, timeout);
        done.catch(() => {});
        await this.#write(`${options.pdu}${CTRL_Z}`, `${options.pdu}${CTRL_Z}`);
        const end = await done;
        return this.#conclude(pending, (end as { final: FinalResult }).final);
      }
      const done = this.#signals.waitFor((s) => s.kind === 'final' || s.kind === 'settled', timeoutMs, timeout);
      done.catch(() => {});
      if (settleMs !== undefined) this.#watchSettle(pending, settleMs);
      await this.#write(`${command}\r`, command);
      const end = await done;
      return this.#conclude(pending, end.kind === 'final' ? end.final : { kind: 'ok', line: '' });
    } finally {
      this.#settleTimer?.abort();
      this.#settleTimer = undefined;
      if (this.#pending === pending) this.#pending = undefined;
    }
  }

  async #write(data: string, traced: string | null): Promise<void> {
    if (traced !== null) this.#opts.trace?.write(traced);
    try {
      await this.#opts.write(data);
    } catch (error) {
      throw new AtError('closed', this.#pending?.command ?? '', 'write failed: port is gone', { cause: error });
    }
  }

  #conclude(pending: Pending, final: FinalResult): AtResponse {
    if (final.kind !== 'ok') throw AtError.fromFinal(pending.command, final);
    return { command: pending.command, lines: pending.lines, final };
  }

  #watchSettle(pending: Pending, settleMs: number): void {
    const abort = new AbortController();
    this.#settleTimer = abort;
    const poll = async () => {
      // Wait for the first information line, then for quiet.
      while (!abort.signal.aborted) {
        const seen = pending.lines.length;
        await this.#opts.clock.sleep(settleMs, abort.signal);
        if (seen > 0 && pending.lines.length === seen && this.#pending === pending) {
          this.#signals.offer({ kind: 'settled' });
          return;
        }
      }
    };
    poll().catch(() => {});
  }

  #onPrompt(): void {
    this.#opts.trace?.prompt();
    if (this.#pending?.awaitingPrompt) this.#signals.offer({ kind: 'prompt' });
    else this.#opts.log.debug('prompt while not sending; ignored');
  }

  #onLine(line: string): void {
    this.linesRead++;
    this.#opts.trace?.read(line);
    const collector = this.#collector;
    if (collector) {
      if (collector.accepts(line)) {
        collector.lines.push(line);
        if (!collector.wantsMore) this.#deliver(collector);
        return;
      }
      // The announced line did not come: deliver what there is and classify this line normally.
      this.#deliver(collector);
    }
    const pending = this.#pending;
    const kind = classifyLine(line, {
      command: pending ? (pending.awaitingPrompt ? pending.command : pending.echoes.at(-1)!) : undefined,
      infoPrefix: pending?.prefix,
      isUrc: (l) => this.urcs.match(l) !== undefined,
    });
    switch (kind) {
      case 'echo':
        return;
      case 'final':
        this.#signals.offer({ kind: 'final', final: parseFinal(line)! });
        return;
      case 'info':
        if (pending!.echoes.some((e) => e.trim().toUpperCase() === line.trim().toUpperCase())) return;
        pending!.lines.push(line);
        return;
      case 'urc': {
        const entry = this.urcs.match(line)!;
        const c = new UrcCollector(entry, line);
        if (c.wantsMore) this.#collector = c;
        else this.#deliver(c);
        return;
      }
      case 'noise':
        this.noiseLines++;
        // Never the line itself: in text mode it can be an SMS body. Its length and, when it looks like a
        // command or result code, the name at its head are enough to tell what the modem was saying.
        this.#opts.log.debug(noiseSummary(line), 'unexpected line from modem ignored');
    }
  }

  #deliver(collector: UrcCollector): void {
    if (this.#collector === collector) this.#collector = undefined;
    try {
      collector.deliver();
    } catch (error) {
      this.#opts.log.error({ err: error, urc: collector.lines[0]?.slice(0, 8) }, 'URC handler failed');
    }
  }
}

/**
 * What may be logged about a line nobody expected: its length, and at most its first 8 characters when
 * they are a command or result-code name (`AT+CMGR`, `+CMTI:`, `^RSSI:`), never free text.
 *
 * @example noiseSummary('+QIND: "csq",20') // { length: 15, prefix: '+QIND:' }
 */
export function noiseSummary(line: string): { length: number; prefix?: string } {
  const name = /^(?:AT[+^&$%#*]?[A-Z0-9]*|[+^$%#*][A-Z][A-Z0-9_]*:?)/i.exec(line.trimStart())?.[0];
  return name ? { length: line.length, prefix: name.slice(0, 8) } : { length: line.length };
}
