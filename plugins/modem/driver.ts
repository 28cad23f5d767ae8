import { report, runChecks, type DoctorCheck, type DoctorReport } from './doctor.ts';
import { isoWithOffset } from '../../core/ids.ts';
import { registerSecret } from '../../core/redact.ts';
import type { ModemStatus } from '../../core/services.ts';
import { AtEngine } from './at.ts';
import { Calls } from './calls.ts';
import { createContext, type DriverContext, type DriverDeps, type DriverOptions } from './context.ts';
import { AtError } from './errors.ts';
import { healthLoop, missed } from './health.ts';
import type { PartSender } from './outbox.ts';
import * as parse from './parse.ts';
import { supervise } from './reconnect.ts';
import { registerUrcs } from './unsolicited.ts';
import { Ussd } from './ussd.ts';

export type { DriverDeps, DriverOptions } from './context.ts';

/**
 * One modem: opens the port through the injected binding, brings the modem up (27.007/27.005 set-up),
 * receives, sends, checks health, and recovers from hangs and unplugs. State changes are announced
 * as modem.online / modem.offline.
 *
 * The work lives in one file per idea, all sharing this driver's DriverContext (context.ts):
 * setup.ts and sim.ts bring the modem up, reading.ts takes stored messages in, unsolicited.ts handles
 * URCs, health.ts checks and resets a hung modem, reconnect.ts reopens the port.
 */
export class ModemDriver implements PartSender {
  readonly id: string;
  readonly at: AtEngine;
  readonly ussd: Ussd;
  readonly #m: DriverContext;
  readonly #calls: Calls;
  readonly #abort = new AbortController();
  #state: ModemStatus['state'] = 'starting';
  /** Clock ms since when the modem has not been online (set at start), null while online. */
  #downSince: number | null = null;
  #announced: 'online' | 'offline' | null = null;
  /** When the current state began (clock ms), and why it is not online. */
  #stateSince: number;
  #reason: string | undefined;
  #done: Promise<void> = Promise.resolve();
  #waiters: { pred: (s: ModemStatus['state']) => boolean; resolve: () => void }[] = [];

  constructor(options: DriverOptions, deps: DriverDeps) {
    this.id = options.id;
    this.#stateSince = deps.clock.now();
    if (options.pin) registerSecret(options.pin);
    this.at = new AtEngine({
      clock: deps.clock,
      log: deps.log,
      trace: deps.trace,
      timeoutMs: options.commandTimeoutMs,
      write: (data) => {
        if (!this.#m.port) throw new Error('port is not open');
        return this.#m.port.write(data);
      },
    });
    this.ussd = new Ussd(this.at, deps.clock);
    this.#calls = new Calls({
      clock: deps.clock,
      log: deps.log,
      events: deps.events,
      modem: options.id,
      hangUp: options.hangUpCalls,
      doHangUp: () => this.at.send('AT+CHUP').then(() => undefined, () => this.at.send('ATH').then(() => undefined)),
    });
    const driver = this;
    this.#m = createContext({
      id: options.id,
      options,
      deps,
      at: this.at,
      ussd: this.ussd,
      calls: this.#calls,
      signal: this.#abort.signal,
      get state() {
        return driver.#state;
      },
      setState: (state, reason) => this.#setState(state, reason),
    });
    registerUrcs(this.#m);
  }

  get online(): boolean {
    return this.#state === 'online';
  }

  /** Since when (clock ms) the modem has not been online; null while it is. Counts from start(). */
  get offlineSince(): number | null {
    return this.#state === 'online' ? null : this.#downSince;
  }

  get state(): ModemStatus['state'] {
    return this.#state;
  }

  /** Soft resets so far (a hung modem, health.ts). */
  get resets(): number {
    return this.#m.resets;
  }

  set resets(n: number) {
    this.#m.resets = n;
  }

  /** The setup checks (plugins/modem/doctor.ts) on the open port, read-only, queued like any command. */
  async doctor(): Promise<DoctorReport> {
    if (!this.#m.port) return report(this.id, [{ name: 'port', status: 'fail', detail: this.#reason ?? `${this.#m.options.path} is not open` }]);
    const port: DoctorCheck = { name: 'port', status: 'pass', detail: `${this.#m.options.simulator ? 'the simulator' : this.#m.options.path} is open` };
    return report(this.id, [port, ...(await runChecks((command) => this.at.send(command)))]);
  }

  status(): ModemStatus {
    const info = this.#m.info;
    const imei = info.imei;
    return {
      id: this.id,
      state: this.#state,
      operator: info.operator,
      signalDbm: info.signalDbm,
      registration: info.registration,
      sim: info.sim,
      model: info.model,
      imei: imei ? `${imei.slice(0, 4)}${'*'.repeat(Math.max(0, imei.length - 6))}${imei.slice(-2)}` : null,
      simulator: this.#m.options.simulator,
      resets: this.resets,
      reason: this.#state === 'online' ? null : (this.#reason ?? null),
      ...(this.#m.storage.length ? { storage: this.#m.storage.map((s) => ({ ...s, nearlyFull: this.#m.storageWarned.has(s.mem) })) } : {}),
    };
  }

  /** Identity and the last health check's network type and storage, unmasked (for the user's own Home Assistant). */
  details(): { imei: string | null; manufacturer: string | null; model: string | null; networkType: string | null; simStorage: { mem: string; used: number; total: number } | null } {
    const info = this.#m.info;
    return { imei: info.imei, manufacturer: info.manufacturer, model: info.model, networkType: info.networkType ?? null, simStorage: info.storage ?? null };
  }

  /** Resolves when the state satisfies `pred` (tests, and the CLI waiting for a modem). */
  until(pred: (s: ModemStatus['state']) => boolean): Promise<void> {
    if (pred(this.#state)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  start(): void {
    if (this.#state !== 'online') this.#downSince ??= this.#m.deps.clock.now();
    this.#done = Promise.all([supervise(this.#m), healthLoop(this.#m)]).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#calls.stop();
    this.#m.resetRequested?.();
    this.at.close('stopping');
    await this.#m.port?.close().catch(() => {});
    await this.#done;
  }

  /** AT+CMGS with the PDU (27.005 3.5.1); resolves with the TP-MR from `+CMGS: <mr>`. */
  async sendPart(pdu: string, tpduLength: number): Promise<number> {
    const m = this.#m;
    if (!m.ready) throw new AtError('closed', 'AT+CMGS', 'modem is not ready');
    // A network submit takes seconds; 27.005 gives no bound, real modems answer within ~60 s.
    let r;
    try {
      r = await this.at.send(`AT+CMGS=${tpduLength}`, { pdu, timeoutMs: Math.max(m.options.commandTimeoutMs, 60_000) });
    } catch (error) {
      // No answer to a send counts toward a hang like a missed health check.
      if (error instanceof AtError && error.code === 'timeout') void missed(m);
      throw error;
    }
    const mr = Number(parse.params(parse.valueOf(r.lines, '+CMGS') ?? '')[0]);
    if (!Number.isInteger(mr)) throw new AtError('at_error', 'AT+CMGS', 'no message reference in the answer');
    return mr;
  }

  /** Stored messages no read gave whole, waiting on the SIM to be read again (reading.ts). */
  get unreadOnSim(): number {
    return this.#m.unread.size;
  }

  /** Commands in a row the modem did not answer (0 while it answers; a soft reset at hangThreshold). */
  get misses(): number {
    return this.#m.misses;
  }

  /**
   * For health: the state, why it is not online (`reason`), since when (the time the state began),
   * and whether the modem answers commands (`misses` in a row without an answer).
   */
  health(): Record<string, unknown> {
    const unread = this.#m.unread.summary();
    return {
      ...(unread.count ? { unreadOnSim: unread.count, unreadSince: isoWithOffset(unread.since!), unreadSlots: unread.slots } : {}),
      ...this.status(),
      ...(this.#state !== 'online' && this.#reason !== undefined ? { reason: this.#reason } : {}),
      ...(this.#state === 'online' && this.#m.misses > 0 ? { reason: `no answer to the last ${this.#m.misses === 1 ? 'command' : `${this.#m.misses} commands`}` } : {}),
      since: isoWithOffset(this.#stateSince),
      registered: this.#m.registered,
      misses: this.#m.misses,
      atQueue: this.at.depth,
      linesRead: this.at.linesRead,
      noiseLines: this.at.noiseLines,
    };
  }

  #setState(state: ModemStatus['state'], reason?: string): void {
    const { events, log, outbox, clock } = this.#m.deps;
    const info = this.#m.info;
    if (state === 'online') this.#downSince = null;
    else if (this.#state === 'online' || this.#downSince === null) this.#downSince = clock.now();
    if (state !== this.#state) this.#stateSince = clock.now();
    this.#state = state;
    this.#reason = reason;
    const announce = state === 'online' ? 'online' : state === 'starting' ? null : 'offline';
    if (announce && announce !== this.#announced) {
      this.#announced = announce;
      if (announce === 'online') {
        events.emit('modem.online', { modem: this.id, operator: info.operator, signalDbm: info.signalDbm });
        log.info({ modem: this.id, operator: info.operator, signalDbm: info.signalDbm }, 'modem online');
        outbox.wake();
      } else {
        events.emit('modem.offline', { modem: this.id, reason: reason ?? state });
        log.warn({ modem: this.id, reason: reason ?? state }, 'modem offline');
      }
    }
    for (const w of this.#waiters.filter((w) => w.pred(state))) {
      this.#waiters = this.#waiters.filter((x) => x !== w);
      w.resolve();
    }
  }
}
