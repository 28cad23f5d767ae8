import type { Socket } from 'node:net';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { decodePdu, encodePdu, encodeResponse, genericNack, HEADER_OCTETS, MAX_PDU_OCTETS, PduFormatError, status, type Pdu } from './pdu.ts';

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

export interface SessionOptions {
  clock: Clock;
  log: Logger;
  /** Nothing heard for this long: an enquire_link (or, never bound, the end of the connection). */
  idleMs: number;
  /** How long the agent's own requests wait for their answer. */
  responseMs: number;
  /** The agent's own windowed requests (deliver_sm) outstanding at once, at most. */
  window: number;
  /** Every request PDU the client sends (bind, submit_sm, ...); answer with session.respond(). */
  onRequest(session: Session, pdu: Pdu): void;
  onClose(session: Session): void;
}

/** A request of the agent's own that got no good answer (the session closed, no answer in time, generic_nack). */
export class RequestFailed extends Error {
  override name = 'RequestFailed';
  readonly commandStatus?: number;
  constructor(message: string, commandStatus?: number) {
    super(message);
    if (commandStatus !== undefined) this.commandStatus = commandStatus;
  }
}

interface Waiting {
  resolve(pdu: Pdu): void;
  reject(error: Error): void;
  windowed: boolean;
}

let sessions = 0;

/**
 * One SMPP connection: frames PDUs out of the byte stream (5.1: command_length first), answers what
 * cannot be read, matches answers to the agent's own requests by sequence_number, keeps a window of
 * those, probes a silent client with enquire_link and closes a dead one. What the requests mean is
 * the server's business (onRequest).
 */
export class Session {
  readonly id = ++sessions;
  readonly remote: string;
  bound: { account: string; mode: BindMode } | null = null;
  closed = false;
  readonly #socket: Socket;
  readonly #o: SessionOptions;
  #buffer: Buffer = Buffer.alloc(0);
  #sequence = 0;
  readonly #waiting = new Map<number, Waiting>();
  readonly #slots: (() => void)[] = [];
  #lastHeard: number;
  readonly #abort = new AbortController();

  constructor(socket: Socket, options: SessionOptions) {
    this.#socket = socket;
    this.#o = options;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#lastHeard = options.clock.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', (error) => options.log.debug({ err: error, session: this.id }, 'SMPP connection error'));
    socket.on('close', () => this.#closed());
    void this.#watch();
  }

  /** Answers a request of the client's. */
  respond(request: Pdu, commandStatus: number, fields: Record<string, unknown> = {}): void {
    this.#write(encodeResponse(request, commandStatus, fields));
  }

  /**
   * Sends a request of the agent's and resolves with the client's answer (whatever its status);
   * rejects with RequestFailed when the session closes, the answer is late, or it is a generic_nack.
   * A windowed request first waits for a free place in the window.
   */
  async request(command: string, fields: Record<string, unknown>, options: { windowed?: boolean } = {}): Promise<Pdu> {
    const windowed = options.windowed ?? false;
    while (windowed && !this.closed && this.#outstanding() >= this.#o.window) await new Promise<void>((r) => this.#slots.push(r));
    if (this.closed) throw new RequestFailed('the session closed');
    if (this.#sequence >= 0x7fffffff) this.#sequence = 0;
    const sequence = ++this.#sequence;
    const timeout = new AbortController();
    const answer = new Promise<Pdu>((resolve, reject) => this.#waiting.set(sequence, { resolve, reject, windowed }));
    this.#write(encodePdu(command, { ...fields, sequence_number: sequence }));
    const signal = AbortSignal.any([timeout.signal, this.#abort.signal]);
    const late = this.#o.clock.sleep(this.#o.responseMs, signal).then(
      () => {
        throw new RequestFailed(`no answer to ${command} in ${this.#o.responseMs / 1000} s`);
      },
      () => undefined as never,
    );
    try {
      return await Promise.race([answer, late]);
    } finally {
      timeout.abort();
      this.#settle(sequence);
    }
  }

  /** Ends the session: with an unbind first when it is bound and `unbind` is asked (the agent stops). */
  close(reason: string, options: { unbind?: boolean } = {}): void {
    if (this.closed) return;
    this.#o.log.debug({ session: this.id, reason }, 'closing SMPP session');
    if (options.unbind && this.bound) {
      this.#sequence++;
      this.#socket.end(encodePdu('unbind', { sequence_number: this.#sequence }));
    } else {
      this.#socket.end();
    }
    this.#closed();
    // A client that never reads would keep the socket half-open: do not wait for it.
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  /** Closes at once, after a last PDU (a generic_nack for a stream that cannot be read). */
  abort(last?: Buffer): void {
    if (last && this.#socket.writable) this.#socket.end(last);
    this.#closed();
    setTimeout(() => this.#socket.destroy(), 200).unref();
  }

  #outstanding(): number {
    let n = 0;
    for (const w of this.#waiting.values()) if (w.windowed) n++;
    return n;
  }

  #settle(sequence: number): void {
    const w = this.#waiting.get(sequence);
    if (!w) return;
    this.#waiting.delete(sequence);
    if (w.windowed) this.#slots.shift()?.();
  }

  #write(frame: Buffer): void {
    if (this.closed || !this.#socket.writable) return;
    // A client that sends but does not read: stop reading its requests until it takes our answers.
    if (!this.#socket.write(frame)) this.#socket.pause();
  }

  #read(chunk: Buffer): void {
    this.#lastHeard = this.#o.clock.now();
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (!this.closed && this.#buffer.length >= 4) {
      const length = this.#buffer.readUInt32BE(0);
      if (length < HEADER_OCTETS || length > MAX_PDU_OCTETS) {
        // 5.1.1: the stream cannot be framed any more; say why and hang up.
        const sequence = this.#buffer.length >= 16 ? this.#buffer.readUInt32BE(12) : 0;
        this.#o.log.warn({ session: this.id, remote: this.remote, commandLength: length }, 'SMPP PDU with an impossible command_length; closing the session');
        this.abort(genericNack(sequence, status.ESME_RINVCMDLEN));
        return;
      }
      if (this.#buffer.length < length) return;
      const frame = this.#buffer.subarray(0, length);
      this.#buffer = this.#buffer.subarray(length);
      this.#frame(Buffer.from(frame));
    }
  }

  #frame(frame: Buffer): void {
    let pdu: Pdu;
    try {
      pdu = decodePdu(frame);
    } catch (error) {
      if (!(error instanceof PduFormatError)) throw error;
      this.#o.log.warn({ session: this.id, remote: this.remote, reason: error.message }, 'SMPP PDU that cannot be read; answered generic_nack');
      this.#write(genericNack(frame.readUInt32BE(12), status.ESME_RINVCMDLEN));
      return;
    }
    if (pdu.command === 'unknown') {
      this.#write(genericNack(pdu.sequence_number, status.ESME_RINVCMDID));
      return;
    }
    if (pdu.command === 'generic_nack' || pdu.command_id & 0x80000000) {
      const w = this.#waiting.get(pdu.sequence_number);
      if (!w) return; // an answer to nothing (late, or a client's own generic_nack to an answer): dropped
      if (pdu.command === 'generic_nack') w.reject(new RequestFailed(`the client answered generic_nack (0x${pdu.command_status.toString(16)})`, pdu.command_status));
      else w.resolve(pdu);
      return;
    }
    try {
      this.#o.onRequest(this, pdu);
    } catch (error) {
      this.#o.log.error({ err: error, session: this.id, command: pdu.command }, 'SMPP request failed');
      this.respond(pdu, status.ESME_RSYSERR);
    }
  }

  async #watch(): Promise<void> {
    const { clock, idleMs } = this.#o;
    const signal = this.#abort.signal;
    while (!this.closed) {
      const quiet = clock.now() - this.#lastHeard;
      if (quiet < idleMs) {
        await clock.sleep(idleMs - quiet, signal).catch(() => {});
        continue;
      }
      if (!this.bound) {
        this.close('no bind');
        return;
      }
      try {
        await this.request('enquire_link', {});
        // The answer counts as something heard.
      } catch (error) {
        if (!this.closed) this.close(`enquire_link: ${(error as Error).message}`);
        return;
      }
    }
  }

  #closed(): void {
    if (this.closed) return;
    this.closed = true;
    this.#abort.abort();
    for (const [sequence, w] of this.#waiting) {
      this.#waiting.delete(sequence);
      w.reject(new RequestFailed('the session closed'));
    }
    for (const wake of this.#slots.splice(0)) wake();
    this.#o.onClose(this);
  }
}
