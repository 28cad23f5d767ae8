import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import { registerSecret } from '../../core/redact.ts';
import type { ModemStatus } from '../../core/services.ts';
import { decodePdu, type DecodedPdu } from '../../core/sms/index.ts';
import type { Store } from '../../core/store.ts';
import { AtEngine } from './at.ts';
import { Calls } from './calls.ts';
import { AtError } from './errors.ts';
import type { Inbox } from './inbox.ts';
import type { Outbox, PartSender } from './outbox.ts';
import * as parse from './parse.ts';
import { pinAttemptsLeft } from './pin.ts';
import { openPort, type BindingInterface, type Port } from './port.ts';
import type { Reports } from './reports.ts';
import type { Trace } from './trace.ts';
import { isHexLine, openQuote } from './urc.ts';
import { Ussd } from './ussd.ts';

export interface DriverOptions {
  id: string;
  path: string;
  baudRate: number;
  binding: BindingInterface;
  simulator: boolean;
  cnmi: 'stored' | 'routed';
  pin: string | undefined;
  healthIntervalMs: number;
  commandTimeoutMs: number;
  /** Health checks without an answer in a row before a soft reset. */
  hangThreshold: number;
  reconnectMaxMs: number;
  hangUpCalls: boolean;
}

export interface DriverDeps {
  store: Store;
  events: PluginEvents;
  clock: Clock;
  log: Logger;
  inbox: Inbox;
  outbox: Outbox;
  reports: Reports;
  trace?: Trace;
  /** Test hook: runs after a PDU is read from the modem and before it is stored (the crash test). */
  beforeStore?: (pdu: string) => Promise<void> | void;
  /** Test hook: runs after a PDU is durable and before it is deleted from the modem. */
  afterStore?: (pdu: string) => Promise<void> | void;
}

/** The SIM refused the PIN (or wants the PUK): never retried automatically, a SIM locks after three. */
class SimLocked extends Error {
  override name = 'SimLocked';
}

/**
 * One modem: opens the port through the injected binding, brings the modem up (27.007/27.005 set-up),
 * receives, sends, checks health, and recovers from hangs and unplugs. State changes are announced
 * as modem.online / modem.offline.
 */
export class ModemDriver implements PartSender {
  readonly id: string;
  readonly at: AtEngine;
  readonly ussd: Ussd;
  readonly #o: DriverOptions;
  readonly #d: DriverDeps;
  readonly #calls: Calls;
  readonly #abort = new AbortController();
  #port: Port | undefined;
  #state: ModemStatus['state'] = 'starting';
  /** Clock ms since when the modem has not been online (set at start), null while online. */
  #downSince: number | null = null;
  #announced: 'online' | 'offline' | null = null;
  #info = { operator: null as string | null, signalDbm: null as number | null, registration: null as string | null, sim: null as string | null, model: null as string | null, manufacturer: null as string | null, imei: null as string | null, imsi: null as string | null, iccid: null as string | null };
  #registered = false;
  #ready = false;
  #misses = 0;
  resets = 0;
  #csms = 0;
  /** mem1 storages to sweep at start-up, and the one new messages go to. */
  #storages: string[] = [];
  #mem1 = '';
  #readChain: Promise<unknown> = Promise.resolve();
  #done: Promise<void> = Promise.resolve();
  #waiters: { pred: (s: ModemStatus['state']) => boolean; resolve: () => void }[] = [];
  #resetRequested: (() => void) | undefined;

  constructor(options: DriverOptions, deps: DriverDeps) {
    this.id = options.id;
    this.#o = options;
    this.#d = deps;
    if (options.pin) registerSecret(options.pin);
    this.at = new AtEngine({
      clock: deps.clock,
      log: deps.log,
      trace: deps.trace,
      timeoutMs: options.commandTimeoutMs,
      write: (data) => {
        if (!this.#port) throw new Error('port is not open');
        return this.#port.write(data);
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
    this.#registerUrcs();
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

  status(): ModemStatus {
    const imei = this.#info.imei;
    return {
      id: this.id,
      state: this.#state,
      operator: this.#info.operator,
      signalDbm: this.#info.signalDbm,
      registration: this.#info.registration,
      sim: this.#info.sim,
      model: this.#info.model,
      imei: imei ? `${imei.slice(0, 4)}${'*'.repeat(Math.max(0, imei.length - 6))}${imei.slice(-2)}` : null,
      simulator: this.#o.simulator,
      resets: this.resets,
    };
  }

  /** Resolves when the state satisfies `pred` (tests, and the CLI waiting for a modem). */
  until(pred: (s: ModemStatus['state']) => boolean): Promise<void> {
    if (pred(this.#state)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  start(): void {
    if (this.#state !== 'online') this.#downSince ??= this.#d.clock.now();
    this.#done = Promise.all([this.#supervise(), this.#healthLoop()]).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#calls.stop();
    this.#resetRequested?.();
    this.at.close('stopping');
    await this.#port?.close().catch(() => {});
    await this.#done;
  }

  /** AT+CMGS with the PDU (27.005 3.5.1); resolves with the TP-MR from `+CMGS: <mr>`. */
  async sendPart(pdu: string, tpduLength: number): Promise<number> {
    if (!this.#ready) throw new AtError('E_CLOSED', 'AT+CMGS', 'modem is not ready');
    // A network submit takes seconds; 27.005 gives no bound, real modems answer within ~60 s.
    let r;
    try {
      r = await this.at.send(`AT+CMGS=${tpduLength}`, { pdu, timeoutMs: Math.max(this.#o.commandTimeoutMs, 60_000) });
    } catch (error) {
      // No answer to a send counts toward a hang like a missed health check.
      if (error instanceof AtError && error.code === 'E_TIMEOUT' && ++this.#misses >= this.#o.hangThreshold) void this.#softReset();
      throw error;
    }
    const mr = Number(parse.params(parse.valueOf(r.lines, '+CMGS') ?? '')[0]);
    if (!Number.isInteger(mr)) throw new AtError('E_ERROR', 'AT+CMGS', 'no message reference in the answer');
    return mr;
  }

  #setState(state: ModemStatus['state'], reason?: string): void {
    if (state === 'online') this.#downSince = null;
    else if (this.#state === 'online' || this.#downSince === null) this.#downSince = this.#d.clock.now();
    this.#state = state;
    const announce = state === 'online' ? 'online' : state === 'starting' ? null : 'offline';
    if (announce && announce !== this.#announced) {
      this.#announced = announce;
      if (announce === 'online') {
        this.#d.events.emit('modem.online', { modem: this.id, operator: this.#info.operator, signalDbm: this.#info.signalDbm });
        this.#d.log.info({ modem: this.id, operator: this.#info.operator, signalDbm: this.#info.signalDbm }, 'modem online');
        this.#d.outbox.wake();
      } else {
        this.#d.events.emit('modem.offline', { modem: this.id, reason: reason ?? state });
        this.#d.log.warn({ modem: this.id, reason: reason ?? state }, 'modem offline');
      }
    }
    for (const w of this.#waiters.filter((w) => w.pred(state))) {
      this.#waiters = this.#waiters.filter((x) => x !== w);
      w.resolve();
    }
  }

  /** Open → set up → run until the port closes or a reset is due → reopen, with capped backoff. */
  async #supervise(): Promise<void> {
    const signal = this.#abort.signal;
    const { clock, log } = this.#d;
    let backoff = 1000;
    while (!signal.aborted) {
      let port: Port;
      try {
        port = await openPort(this.#o.binding, this.#o.path, this.#o.baudRate, (chunk) => this.at.feed(chunk));
      } catch (error) {
        if (signal.aborted) return;
        this.#setState('offline', 'port unavailable');
        log.debug({ err: error, path: this.#o.path, retryInMs: backoff }, 'cannot open the modem port');
        await clock.sleep(backoff, signal).catch(() => {});
        backoff = Math.min(backoff * 2, this.#o.reconnectMaxMs);
        continue;
      }
      this.#port = port;
      this.at.open();
      const reset = new Promise<void>((r) => (this.#resetRequested = r));
      let reason = 'set-up failed';
      try {
        await this.#setUp();
        backoff = 1000;
        this.#ready = true;
        await this.#checkHealth();
        // Messages that arrived while the agent was down come first.
        await this.#readStored();
        this.#d.outbox.wake();
        reason = await Promise.race([port.closed.then(() => 'port closed'), reset.then(() => 'reset')]);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof SimLocked) {
          this.#setState('sim-locked', error.message);
          log.error({ modem: this.id, reason: error.message }, 'SIM locked: not retrying (a SIM blocks after three wrong PINs)');
          await port.close().catch(() => {});
          this.at.close('sim locked');
          return;
        }
        log.warn({ err: error, modem: this.id }, 'modem set-up failed');
      }
      this.#ready = false;
      this.#registered = false;
      this.at.close('port closed');
      await port.close().catch(() => {});
      this.#port = undefined;
      if (signal.aborted) break;
      this.#setState('offline', reason);
      await clock.sleep(backoff, signal).catch(() => {});
      backoff = Math.min(backoff * 2, this.#o.reconnectMaxMs);
    }
  }

  /** 27.007/27.005 set-up, in the order the issue gives. */
  async #setUp(): Promise<void> {
    const at = this.at;
    // A send cut off by a crash leaves the modem waiting for PDU text: ESC ends that (27.005 3.5.1).
    await at.raw('\x1b').catch(() => {});
    await at.send('ATZ', { timeoutMs: 10_000 }).catch(() => at.send('AT'));
    await at.send('ATE0');
    await at.send('AT+CMEE=1').catch(() => {});
    await this.#unlockSim();
    await this.#identify();
    await at.send('AT+CMGF=0');
    await this.#chooseStorage();
    await this.#chooseIndications();
    await at.send('AT+CLIP=1').catch((e) => this.#d.log.debug({ err: e }, 'caller id not available'));
  }

  /**
   * 27.007 8.3: the SIM PIN from the environment, at most once per PIN unless the SIM's attempt counter
   * shows that an earlier try was not counted. A refused PIN is remembered (also across restarts) and never
   * sent again: a SIM locks after three. A PIN whose answer never came (a slow SIM, a crash) is settled by
   * asking the SIM (AT+CPIN?) and its counter; until that is known it is not sent again.
   */
  async #unlockSim(): Promise<void> {
    let sim = await this.#simState();
    this.#info.sim = sim;
    if (sim === 'READY') return;
    if (sim !== 'SIM PIN') throw new SimLocked(`SIM wants ${sim}`);
    const pin = this.#o.pin;
    if (!pin) throw new SimLocked('SIM PIN required and no PIN configured');
    const digest = createHash('sha256').update(`${this.id}:${pin}`).digest('hex');
    if (this.#getState('refused-pin') === digest) throw new SimLocked('this PIN was refused before; not trying it again');
    const left = await pinAttemptsLeft(this.at);
    const refuse = (why: string): SimLocked => {
      this.#setStateValue('refused-pin', digest);
      this.#setStateValue('pin-sent', null);
      return new SimLocked(why);
    };
    // Sent before without an answer (crash, timeout): again only if the counter did not move since.
    const sent = this.#getState('pin-sent');
    if (sent?.startsWith(`${digest}:`)) {
      const before = sent.slice(digest.length + 1);
      if (left === null || before === '' || left < Number(before)) throw refuse('a PIN sent earlier may have been counted by the SIM; not sending it again');
    }
    // Durable before the write: a crash before the answer leaves the question to the next start.
    this.#setStateValue('pin-sent', `${digest}:${left ?? ''}`);
    try {
      await this.at.send(`AT+CPIN="${pin}"`, { timeoutMs: 20_000 });
    } catch (error) {
      if (error instanceof AtError && (error.cme === 16 || error.cme === 12)) throw refuse(`SIM refused the PIN (${error.meaning})`);
      // Timeout, plain ERROR, a busy SIM: ask the SIM what became of it.
      this.#d.log.warn({ err: error, modem: this.id }, 'no clear answer to the PIN: asking the SIM');
      sim = await this.#settledSimState();
      if (sim === 'SIM PIN') {
        const now = await pinAttemptsLeft(this.at);
        if (left === null || now === null) throw refuse('cannot tell whether the SIM counted the PIN; not sending it again');
        if (now < left) throw refuse(`SIM refused the PIN (${now} attempts left)`);
        // Not counted (the SIM never saw it): safe to send once more at the next set-up.
        this.#setStateValue('pin-sent', null);
        throw error;
      }
      if (sim === 'SIM PUK' || sim === 'BLOCKED') throw refuse(`SIM refused the PIN (SIM wants ${sim})`);
      if (sim !== 'READY') throw error; // no answer at all: pin-sent stays, the next set-up asks the counter
    }
    this.#setStateValue('pin-sent', null);
    // The SIM takes a moment after the PIN; 27.007 gives no bound.
    for (let i = 0; i < 10; i++) {
      sim = await this.#simState().catch(() => 'BUSY');
      if (sim === 'READY') break;
      await this.#d.clock.sleep(1000, this.#abort.signal);
    }
    this.#info.sim = sim;
    if (sim !== 'READY') throw new Error(`SIM not ready after the PIN (${sim})`);
  }

  /** 27.007 8.3 AT+CPIN? → READY, SIM PIN, SIM PUK, ... (UNKNOWN without a +CPIN line). */
  async #simState(): Promise<string> {
    return parse.valueOf((await this.at.send('AT+CPIN?', { settleMs: 1000 })).lines, '+CPIN')?.replace(/"/g, '') ?? 'UNKNOWN';
  }

  /**
   * The SIM state once the modem answers clearly: after a command timed out its late answer can still
   * come and end the next command, so only an answer with a +CPIN line counts. UNKNOWN when none comes.
   */
  async #settledSimState(): Promise<string> {
    for (let i = 0; i < 10 && !this.#abort.signal.aborted; i++) {
      const sim = await this.#simState().catch(() => 'UNKNOWN');
      if (sim !== 'UNKNOWN') return sim;
      await this.#d.clock.sleep(1000, this.#abort.signal).catch(() => {});
    }
    return 'UNKNOWN';
  }

  #getState(key: string): string | undefined {
    return this.#d.store.get<{ value: string }>('SELECT value FROM modem_state WHERE modem = ? AND key = ?', this.id, key)?.value;
  }

  #setStateValue(key: string, value: string | null): void {
    if (value === null) this.#d.store.run('DELETE FROM modem_state WHERE modem = ? AND key = ?', this.id, key);
    else this.#d.store.run('INSERT OR REPLACE INTO modem_state (modem, key, value) VALUES (?, ?, ?)', this.id, key, value);
  }

  async #identify(): Promise<void> {
    const read = async (cmd: string) => parse.identityValue((await this.at.send(cmd, { prefix: null }).catch(() => ({ lines: [] as string[] }))).lines);
    this.#info.manufacturer = await read('AT+CGMI');
    this.#info.model = await read('AT+CGMM');
    this.#info.imei = await read('AT+CGSN');
    this.#info.imsi = await read('AT+CIMI');
    this.#info.iccid = (await read('AT+CCID')) ?? (await read('AT+ICCID'));
    // Huawei E-series print USSD strings as packed GSM 7-bit hex.
    this.ussd.dialect = /huawei/i.test(this.#info.manufacturer ?? '') ? 'hex7' : 'text';
    this.#d.log.info({ modem: this.id, manufacturer: this.#info.manufacturer, model: this.#info.model }, 'modem identified');
  }

  /** 27.005 3.2.2: new messages go to ME when the modem offers it (usually larger), else SM. */
  async #chooseStorage(): Promise<void> {
    const lists = parse.parseCpmsTest((await this.at.send('AT+CPMS=?')).lines);
    const mem1 = lists[0] ?? ['SM'];
    const mem3 = lists[2] ?? mem1;
    const pick = (l: string[]) => (l.includes('ME') ? 'ME' : l.includes('SM') ? 'SM' : l[0] ?? 'SM');
    const main = pick(mem3);
    this.#storages = ['SM', 'ME', 'SR'].filter((m) => mem1.includes(m));
    await this.at.send(`AT+CPMS="${main}","${main}","${main}"`);
    this.#mem1 = main;
  }

  /** 27.005 3.4.1: stored (+CMTI/+CDSI) by default; routed (+CMT/+CDS, acknowledged with +CNMA) when configured. */
  async #chooseIndications(): Promise<void> {
    const test = parse.parseCnmiTest((await this.at.send('AT+CNMI=?').catch(() => ({ lines: [] as string[] }))).lines);
    const allowed = (i: number, v: number) => !test[i] || test[i]!.includes(v);
    const mode = allowed(0, 2) ? 2 : 1;
    let mt: number;
    let ds: number;
    if (this.#o.cnmi === 'routed') {
      // +CNMA is required only in phase 2+ (AT+CSMS=1); without it routed messages are not acknowledged.
      this.#csms = await this.at.send('AT+CSMS=1').then(() => 1, () => 0);
      mt = allowed(1, 2) ? 2 : 1;
      ds = allowed(3, 1) ? 1 : allowed(3, 2) ? 2 : 0;
    } else {
      this.#csms = 0;
      mt = allowed(1, 1) ? 1 : 2;
      ds = allowed(3, 2) ? 2 : allowed(3, 1) ? 1 : 0;
    }
    const bfr = allowed(4, 0) ? 0 : 1;
    await this.at.send(`AT+CNMI=${mode},${mt},0,${ds},${bfr}`);
  }

  #registerUrcs(): void {
    const urcs = this.at.urcs;
    urcs.on('+CMTI:', ([line]) => this.#onIndication(line!));
    urcs.on('+CDSI:', ([line]) => this.#onIndication(line!));
    urcs.on('+CMT:', (lines) => this.#onRouted(lines), { lines: 1, accept: isHexLine });
    urcs.on('+CDS:', (lines) => this.#onRouted(lines), { lines: 1, accept: isHexLine });
    urcs.on('+CUSD:', (lines) => this.ussd.onUrc(lines), { lines: openQuote });
    urcs.on('RING', () => this.#calls.ring());
    urcs.on('+CRING:', () => this.#calls.ring());
    urcs.on('+CLIP:', ([line]) => this.#calls.clip(parse.parseClip(line!)));
    urcs.on('NO CARRIER', () => this.#calls.end('no carrier'));
    urcs.on('+CREG:', ([line]) => {
      const reg = parse.parseCreg(line!, true);
      if (reg) this.#onRegistration(reg);
    });
    // Vendor noise (Huawei ^RSSI/^BOOT/^MODE, Quectel +QIND, SIMCom boot banners): recognised, ignored.
    const noise = () => {};
    for (const p of ['^', '+QIND:', '+CPIN:', 'RDY', 'Call Ready', 'SMS Ready', '+CFUN:', '+PBREADY', '+CGREG:', '+CEREG:', '+QUSIM:']) urcs.on(p, noise);
  }

  #onRegistration(reg: { text: string; registered: boolean }): void {
    this.#info.registration = reg.text;
    this.#registered = reg.registered;
    if (!this.#ready) return;
    if (reg.registered && this.#state !== 'online') this.#setState('online');
    else if (!reg.registered && this.#state === 'online') this.#setState('offline', `network: ${reg.text}`);
  }

  #onIndication(line: string): void {
    const ind = parse.parseIndication(line);
    if (!ind) return;
    this.#serialRead(() => this.#readOne(ind.mem, ind.index)).catch((error) =>
      this.#d.log.warn({ err: error, mem: ind.mem, index: ind.index }, 'could not read an indicated message (it stays on the SIM; the next sweep retries)'),
    );
  }

  /** Routed +CMT/+CDS: durable first, then +CNMA (27.005 3.4.4); no ack = the network delivers again. */
  #onRouted(lines: string[]): void {
    const [head, pdu] = lines;
    if (pdu === undefined) {
      this.#d.log.warn({ urc: head!.slice(0, 5) }, 'routed message without its PDU line');
      return;
    }
    this.#serialRead(async () => {
      await this.#takeIn(pdu.replace(/"$/, ''), parse.lengthOf(head!));
      if (this.#csms === 1) await this.at.send('AT+CNMA').catch((e) => this.#d.log.warn({ err: e }, '+CNMA refused'));
    }).catch((error) => this.#d.log.error({ err: error }, 'routed message not stored; not acknowledged, the network will send it again'));
  }

  /** Reads run one after another so a sweep and an indication never interleave their storage switches. */
  #serialRead<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#readChain.then(task);
    this.#readChain = run.catch(() => {});
    return run;
  }

  async #useMem(mem: string): Promise<void> {
    if (this.#mem1 === mem) return;
    await this.at.send(`AT+CPMS="${mem}"`);
    this.#mem1 = mem;
  }

  /** Reads one stored message, makes it durable, and only then deletes it (27.005 3.5.4). */
  async #readOne(mem: string, index: number, listed?: parse.SlotReading): Promise<void> {
    await this.#useMem(mem);
    const stored = await this.#takeSlot(index, listed);
    if (stored === null) return;
    await this.#d.afterStore?.(stored);
    await this.at.send(`AT+CMGD=${index}`);
  }

  async #cmgr(index: number): Promise<parse.SlotReading> {
    return parse.readCmgr((await this.at.send(`AT+CMGR=${index}`, { timeoutMs: 15_000 })).lines);
  }

  /**
   * Makes the message in slot `index` durable and returns what was stored, which may then be deleted;
   * null when the slot must stay (empty: a new SMS could land there before a delete; own SMS-SUBMIT).
   * An answer that is not PDU mode means the modem lost its set-up (a reset we did not see, 27.005 3.2.3
   * +CMGF back to its default): PDU mode is set up again and the slot read once more; if it is still not
   * a PDU, what was read is stored raw, so nothing is deleted that is not kept somewhere.
   */
  async #takeSlot(index: number, first?: parse.SlotReading): Promise<string | null> {
    const one = first ?? (await this.#cmgr(index));
    if (one.kind === 'empty') return null;
    if (one.kind === 'pdu') {
      const decoded = cleanDecode(one.pdu, one.length);
      if (decoded) return (await this.#takeIn(one.pdu, one.length, decoded)) ? one.pdu : null;
      // Line noise or a UART overrun spoils a read, not the stored message: a second read is usually clean.
      this.#d.log.warn({ modem: this.id, index, octets: one.pdu.length / 2, length: one.length }, 'stored message read spoiled: reading it again');
    } else {
      this.#d.log.warn({ modem: this.id, index }, 'stored message not read in PDU mode (modem reset?): setting PDU mode up again');
      await this.#restoreSetUp().catch((error) => this.#d.log.warn({ err: error, modem: this.id }, 'PDU mode set-up failed'));
    }
    const two = await this.#cmgr(index);
    if (two.kind === 'pdu') {
      const decoded = cleanDecode(two.pdu, two.length);
      if (decoded) return (await this.#takeIn(two.pdu, two.length, decoded)) ? two.pdu : null;
      // The same whole octets twice: the message itself is odd (a firmware <length> off by a few is known);
      // the lenient decoder copes or stores it raw. Spoiled twice: neither read is trusted, kept raw.
      const quirk = one.kind === 'pdu' && one.pdu === two.pdu && two.pdu.length % 2 === 0;
      if (quirk || one.kind !== 'pdu') return (await this.#takeIn(two.pdu, two.length)) ? two.pdu : null;
      await this.#d.beforeStore?.(two.pdu);
      this.#d.inbox.raw(two.pdu, Object.assign(new Error('the stored message read spoiled twice'), { code: 'E_SPOILED' }));
      return two.pdu;
    }
    if (one.kind === 'pdu') {
      // Gone between the reads, or no longer PDU mode: the first read is all there is; the slot is left alone.
      await this.#takeIn(one.pdu, one.length);
      return null;
    }
    const kept = two.kind === 'other' ? two : one;
    const raw = kept.lines.join('\n');
    if (raw === '') return null; // a listing entry with nothing to keep and an empty slot now: nothing to lose
    await this.#d.beforeStore?.(raw);
    this.#d.inbox.raw(raw, Object.assign(new Error('the modem did not answer AT+CMGR in PDU mode, twice'), { code: 'E_NOT_PDU' }));
    // Deleted only when the slot still held it; an emptied slot may soon hold a new message.
    return two.kind === 'other' ? raw : null;
  }

  /** PDU mode, storages and indications again (the modem forgot them: 27.005 3.2.3, 3.2.2, 3.4.1). */
  async #restoreSetUp(): Promise<void> {
    const mem = this.#mem1;
    await this.at.send('AT+CMGF=0');
    await this.#chooseStorage();
    await this.#chooseIndications();
    await this.#useMem(mem);
  }

  /** Every storage, every message (AT+CMGL=4): what came while the agent was down, or a lost +CMTI. */
  #readStored(): Promise<void> {
    return this.#serialRead(async () => {
      const main = this.#mem1;
      for (const mem of this.#storages) {
        await this.#useMem(mem).catch(() => {});
        if (this.#mem1 !== mem) continue;
        for (const item of await this.#list(mem)) {
          const first: parse.SlotReading = item.pdu === null ? { kind: 'other', lines: [] } : { kind: 'pdu', stat: item.stat, length: item.length, pdu: item.pdu };
          await this.#readOne(mem, item.index, first);
        }
      }
      await this.#useMem(main).catch(() => {});
    });
  }

  /** AT+CMGL=4; refused (27.005 3.4.2: 4 is no <stat> in text mode), PDU mode is set up again and it is asked once more. */
  async #list(mem: string): Promise<parse.ListedEntry[]> {
    const list = async () => parse.listCmgl((await this.at.send('AT+CMGL=4', { timeoutMs: 60_000 })).lines);
    try {
      return await list();
    } catch (error) {
      if (!(error instanceof AtError) || (error.code !== 'E_CMS' && error.code !== 'E_CME' && error.code !== 'E_ERROR')) throw error;
      this.#d.log.warn({ err: error, modem: this.id, mem }, 'AT+CMGL=4 refused (modem reset to text mode?): setting PDU mode up again');
      await this.#restoreSetUp();
      return list();
    }
  }

  /**
   * Decodes and makes a PDU durable. Returns true when it may be deleted from the modem: stored now,
   * stored before (read again after a crash), or undecodable and stored raw. Own outgoing messages
   * (SMS-SUBMIT) in the storage are left alone.
   */
  async #takeIn(pdu: string, length: number | undefined, clean?: DecodedPdu): Promise<boolean> {
    const { inbox, reports, store } = this.#d;
    await this.#d.beforeStore?.(pdu);
    let decoded: DecodedPdu;
    try {
      decoded = clean ?? decodeWithLength(pdu, length);
    } catch (error) {
      inbox.raw(pdu, error as Error);
      return true;
    }
    if (decoded.type === 'submit') return false;
    if (decoded.type === 'status-report') {
      store.transaction(() => {
        if (inbox.claim(pdu)) reports.accept(decoded);
      });
      return true;
    }
    inbox.deliver(pdu, decoded);
    return true;
  }

  async #healthLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#d.clock.sleep(this.#o.healthIntervalMs, signal).catch(() => {});
      if (signal.aborted) return;
      try {
        this.#d.inbox.sweep();
      } catch (error) {
        this.#d.log.error({ err: error }, 'concatenation sweep failed');
      }
      if (!this.#ready) continue;
      try {
        await this.#checkHealth();
        const stored = parse.parseCpmsRead((await this.at.send('AT+CPMS?')).lines);
        // A message in storage that no indication announced (lost URC, modem restarted): read it now.
        if (stored.some((s) => s.used > 0 && s.mem !== 'SR') || stored.find((s) => s.mem === 'SR' && s.used > 0)) await this.#readStored();
        this.#misses = 0;
      } catch (error) {
        if (!(error instanceof AtError) || error.code !== 'E_TIMEOUT') {
          this.#d.log.debug({ err: error }, 'health check failed');
          continue;
        }
        this.#misses++;
        this.#d.log.warn({ modem: this.id, misses: this.#misses }, 'modem did not answer the health check');
        if (this.#misses >= this.#o.hangThreshold) await this.#softReset();
      }
    }
  }

  async #checkHealth(): Promise<void> {
    const at = this.at;
    this.#info.signalDbm = parse.csqDbm((await at.send('AT+CSQ')).lines);
    const creg = parse.valueOf((await at.send('AT+CREG?')).lines, '+CREG');
    this.#info.operator = parse.parseCops((await at.send('AT+COPS?').catch(() => ({ lines: [] as string[] }))).lines);
    if (creg !== undefined) {
      const reg = parse.parseCreg(`+CREG: ${creg}`, false);
      if (reg) {
        this.#info.registration = reg.text;
        this.#registered = reg.registered;
      }
    }
    if (this.#registered) this.#setState('online');
    else this.#setState('offline', `network: ${this.#info.registration ?? 'unknown'}`);
  }

  /** A hung modem: AT+CFUN=0/1 (27.007 8.2) or ATZ, then close and reopen the port. */
  async #softReset(): Promise<void> {
    this.#misses = 0;
    this.resets++;
    this.#d.log.warn({ modem: this.id, resets: this.resets }, 'modem hung: soft reset');
    this.#setState('offline', 'no answer');
    await this.at.send('AT+CFUN=0', { timeoutMs: 5000 }).catch(() => {});
    await this.at.send('AT+CFUN=1', { timeoutMs: 10_000 }).catch(() => this.at.send('ATZ', { timeoutMs: 5000 }).catch(() => {}));
    this.#resetRequested?.();
  }

  /** When the modem was last heard from, for health. */
  health(): Record<string, unknown> {
    return {
      ...this.status(),
      registered: this.#registered,
      atQueue: this.at.depth,
      linesRead: this.at.linesRead,
      noiseLines: this.at.noiseLines,
      since: isoWithOffset(this.#d.clock.now()),
    };
  }
}

/** Decodes with the modem's <length>; a length that does not fit the PDU (a known firmware bug) is ignored. */
function decodeWithLength(pdu: string, length: number | undefined): DecodedPdu {
  if (length !== undefined) {
    try {
      return decodePdu(pdu, { tpduLength: length });
    } catch {
      // fall through to auto-detection
    }
  }
  return decodePdu(pdu);
}

/**
 * A read that can be trusted as it is: whole octets, exactly an SMSC field plus the <length> TPDU octets
 * (27.005 3.4.3), decoding without user data cut short. Null for anything else (a dropped or garbled
 * character usually breaks one of these; 23.040 has no checksum to tell otherwise).
 */
function cleanDecode(pdu: string, length: number | undefined): DecodedPdu | null {
  if (pdu.length % 2 !== 0) return null;
  const octets = pdu.length / 2;
  if (length !== undefined && octets !== length && octets !== parseInt(pdu.slice(0, 2), 16) + 1 + length) return null;
  try {
    const decoded = length === undefined ? decodePdu(pdu) : decodePdu(pdu, { tpduLength: length });
    return decoded.warnings.some((w) => w.includes('cut short')) ? null : decoded;
  } catch {
    return null;
  }
}
