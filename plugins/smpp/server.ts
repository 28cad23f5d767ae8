import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { status, type Pdu } from './pdu.ts';
import { Session, type BindMode } from './session.ts';
import { TokenBucket } from './throttle.ts';

/** SMPP 3.4 5.2.1/5.2.3: system_id at most 15 characters, password at most 8. */
export const MAX_PASSWORD_OCTETS = 8;

export interface ServerAccount {
  systemId: string;
  /** The password, or undefined when its environment variable is not set (the account cannot bind). */
  password: string | undefined;
  throughputPerSecond?: number;
}

export interface ServerOptions {
  accounts: ServerAccount[];
  clock: Clock;
  log: Logger;
  idleMs: number;
  responseMs: number;
  window: number;
  sessionsPerAccount: number;
  /** Requests of a bound session other than bind, unbind and enquire_link. */
  onRequest(session: Session, pdu: Pdu): void;
  /** A session bound that can take deliver_sm (receiver or transceiver). */
  onReceiver?(account: string): void;
}

const BIND_MODES: Record<string, BindMode> = { bind_transmitter: 'transmitter', bind_receiver: 'receiver', bind_transceiver: 'transceiver' };

/** The commands a session of each mode may send (4.1: a receiver does not submit). */
const TRANSMIT = new Set(['submit_sm', 'query_sm', 'cancel_sm', 'replace_sm', 'submit_multi', 'data_sm']);

const digest = (s: string) => createHash('sha256').update(s, 'latin1').digest();

/** Compares in constant time (over the digests, so the lengths are not told either). */
export function samePassword(given: string, expected: string | undefined): boolean {
  const a = digest(given);
  const b = digest(expected ?? '\u0000no password');
  return timingSafeEqual(a, b) && expected !== undefined;
}

/**
 * The SMPP listener(s) and their sessions: binds (system_id and password per account, compared in
 * constant time), unbind, enquire_link, and the state rules (5.1.3 ESME_RINVBNDSTS); everything else
 * goes to onRequest. Sessions per account are counted for /health and /metrics, and receivers are
 * handed to the delivery side round robin.
 */
export class SmppServer {
  readonly #o: ServerOptions;
  readonly #accounts: Map<string, ServerAccount & { bucket?: TokenBucket }>;
  readonly #sessions = new Set<Session>();
  readonly #servers: Server[] = [];
  readonly #receiverWaiters = new Map<string, (() => void)[]>();
  #turn = 0;

  constructor(options: ServerOptions) {
    this.#o = options;
    this.#accounts = new Map(
      options.accounts.map((a) => [a.systemId, { ...a, ...(a.throughputPerSecond ? { bucket: new TokenBucket(a.throughputPerSecond, () => options.clock.now()) } : {}) }]),
    );
  }

  /** Listens on host:port (TLS when `tls` is given); resolves with the port. */
  async listen(host: string, port: number, tls?: TlsOptions): Promise<number> {
    const accept = (socket: Socket) => this.#accept(socket);
    const server = tls ? createTlsServer(tls, accept) : createServer(accept);
    // A TLS handshake that fails is the client's problem, not the agent's.
    server.on('tlsClientError', (error: Error) => this.#o.log.debug({ err: error }, 'SMPP TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#o.log.error({ err: error }, 'SMPP listener error'));
    this.#servers.push(server);
    return (server.address() as { port: number }).port;
  }

  /** Stops listening and unbinds every session. */
  async close(): Promise<void> {
    const closing = this.#servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.#sessions) s.close('the agent stops', { unbind: true });
    await Promise.all(closing);
  }

  /** Bound sessions by account and mode. */
  sessions(): Record<string, Record<BindMode, number>> {
    const out: Record<string, Record<BindMode, number>> = {};
    for (const id of this.#accounts.keys()) out[id] = { transmitter: 0, receiver: 0, transceiver: 0 };
    for (const s of this.#sessions) if (s.bound) out[s.bound.account]![s.bound.mode]++;
    return out;
  }

  /** Connections not (yet) bound. */
  unbound(): number {
    return [...this.#sessions].filter((s) => !s.bound && !s.closed).length;
  }

  /**
   * A bound session of the account that takes deliver_sm, round robin; waits for one to bind.
   * Rejects when `signal` aborts.
   */
  async receiver(account: string, signal: AbortSignal): Promise<Session> {
    for (;;) {
      signal.throwIfAborted();
      const list = [...this.#sessions].filter((s) => !s.closed && s.bound?.account === account && s.bound.mode !== 'transmitter');
      if (list.length) return list[this.#turn++ % list.length]!;
      await new Promise<void>((resolve, reject) => {
        const waiters = this.#receiverWaiters.get(account) ?? [];
        this.#receiverWaiters.set(account, waiters);
        const onAbort = () => reject(signal.reason);
        waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  #accept(socket: Socket): void {
    const session = new Session(socket, {
      clock: this.#o.clock,
      log: this.#o.log,
      idleMs: this.#o.idleMs,
      responseMs: this.#o.responseMs,
      window: this.#o.window,
      onRequest: (s, pdu) => this.#request(s, pdu),
      onClose: (s) => {
        this.#sessions.delete(s);
        if (s.bound) this.#o.log.info({ session: s.id, account: s.bound.account, mode: s.bound.mode }, 'SMPP session ended');
      },
    });
    this.#sessions.add(session);
  }

  #request(session: Session, pdu: Pdu): void {
    const mode = BIND_MODES[pdu.command];
    if (mode) return this.#bind(session, pdu, mode);
    switch (pdu.command) {
      case 'enquire_link':
        return session.respond(pdu, status.ESME_ROK);
      case 'unbind':
        session.respond(pdu, status.ESME_ROK);
        return session.close('unbind');
      case 'outbind':
      case 'alert_notification':
        return session.respond(pdu, status.ESME_RINVCMDID);
    }
    if (!session.bound) return session.respond(pdu, status.ESME_RINVBNDSTS);
    if (TRANSMIT.has(pdu.command) && session.bound.mode === 'receiver') return session.respond(pdu, status.ESME_RINVBNDSTS);
    const bucket = this.#accounts.get(session.bound.account)!.bucket;
    if (pdu.command === 'submit_sm' && bucket && !bucket.take()) return session.respond(pdu, status.ESME_RTHROTTLED);
    this.#o.onRequest(session, pdu);
  }

  #bind(session: Session, pdu: Pdu, mode: BindMode): void {
    const answer = (code: number) =>
      session.respond(pdu, code, code === status.ESME_ROK ? { system_id: 'smsedge', ...(Number(pdu.interface_version) >= 0x34 ? { sc_interface_version: 0x34 } : {}) } : {});
    if (session.bound) return answer(status.ESME_RALYBND);
    const systemId = String(pdu.system_id ?? '');
    const password = String(pdu.password ?? '');
    const account = this.#accounts.get(systemId);
    // Compared whether or not the account exists, so the time taken does not tell.
    const right = samePassword(password, account?.password);
    const refuse = (code: number, why: string) => {
      this.#o.log.warn({ session: session.id, remote: session.remote, systemId: account ? systemId : undefined, why }, 'SMPP bind refused');
      answer(code);
      // One try per connection: guessing a password takes a new connection each time.
      session.close('bind refused');
    };
    if (!account) return refuse(status.ESME_RINVSYSID, 'unknown system_id');
    if (Buffer.byteLength(password, 'latin1') > MAX_PASSWORD_OCTETS || !right) return refuse(status.ESME_RINVPASWD, account.password === undefined ? 'the password variable is not set' : 'wrong password');
    const bound = [...this.#sessions].filter((s) => s.bound?.account === systemId && !s.closed).length;
    if (bound >= this.#o.sessionsPerAccount) return refuse(status.ESME_RBINDFAIL, `already ${bound} sessions (sessionsPerAccount)`);
    session.bound = { account: systemId, mode };
    answer(status.ESME_ROK);
    this.#o.log.info({ session: session.id, remote: session.remote, account: systemId, mode }, 'SMPP session bound');
    if (mode !== 'transmitter') {
      for (const wake of this.#receiverWaiters.get(systemId)?.splice(0) ?? []) wake();
      this.#o.onReceiver?.(systemId);
    }
  }
}
