// The simulated modem's state: settings, SIM, network, storages, message references, and the few
// primitives (URC output, timers on the injected clock) that behaviours and the driver API share.
import type { Clock } from '../core/clock.ts';
import type { DecodedSubmit } from '../core/sms/index.ts';
import type { Behavior } from './behavior.ts';
import type { Profile } from './profiles.ts';
import type { Quirks } from './quirks.ts';
import { drainNetwork } from './network.ts';
import { Storage, type StorageName } from './storage.ts';

export type SimStatus = 'READY' | 'SIM PIN' | 'SIM PUK' | 'BLOCKED' | 'NOT INSERTED';

export interface Settings {
  echo: boolean;
  verbose: boolean;
  /** 27.007 9.1 +CMEE: 0 ERROR, 1 numeric, 2 verbose. */
  cmee: number;
  /** 27.005 3.2.3 +CMGF: 0 PDU, 1 text. */
  cmgf: number;
  cscs: string;
  /** 27.005 3.2.1 +CSMS service: 1 means routed messages need +CNMA. */
  csms: number;
  /** 27.005 3.4.1 +CNMI: mode, mt, bm, ds, bfr. */
  cnmi: [number, number, number, number, number];
  clip: boolean;
  /** +CREG / +CGREG / +CEREG URC mode (27.007 7.2, 10.1.19). */
  creg: number;
  cgreg: number;
  cereg: number;
  /** +CUSD result presentation (27.007 7.15). */
  cusd: number;
  /** Vendor noise URCs on (Huawei ^CURC, Quectel +QURCCFG / +QINDCFG). */
  noise: boolean;
  /** Huawei ^PORTSEL: which port carries the URCs (0 modem, 1 PCUI); one port here, so only remembered. */
  portsel: number;
  /** Settings a probe sets and reads back that change nothing here (+CMMS, +CTZR, ...), by command. */
  kept: Record<string, number>;
}

export interface SentPart {
  mr: number;
  to: string;
  text: string | null;
  encoding: string;
  concat: { ref: number; total: number; part: number } | null;
  statusReportRequest: boolean;
  pdu: string;
  /** When the modem accepted it (clock ms). */
  at: number;
  submit: DecodedSubmit;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'pending-then-delivered';

export interface UssdNode {
  /** What the network answers. */
  text: string;
  /** Replies the user may send next; present = the session stays open (+CUSD: 1). */
  options?: Record<string, UssdNode>;
}

export interface Call {
  from: string;
  state: 'ringing' | 'active';
  rings: number;
}

export class Modem {
  readonly profile: Profile;
  readonly clock: Clock;
  /** The profile's quirks with the simulator's own on top (quirks.ts). */
  quirks: Quirks = {};
  behaviors: Behavior[];
  settings!: Settings;
  storages = new Map<StorageName, Storage>();
  /** 27.005 3.2.2 +CPMS: mem1 (read/delete), mem2 (write/send), mem3 (receive). */
  mem: [StorageName, StorageName, StorageName] = ['SM', 'SM', 'SM'];
  sim: { status: SimStatus; pin: string | null; puk: string; pinAttempts: number; pukAttempts: number };
  /** 27.007 8.2 +CFUN: 0 minimum, 1 full, 4 radio off. */
  cfun = 1;
  network = { available: true, roaming: false, operator: 'smsedge sim', plmn: '00101', lac: '1A2B', ci: '01C3D4E5' };
  signal = { rssi: 20, ber: 99 };
  identity: { imei: string; imsi: string; iccid: string };
  smsc = '+15550000100';
  /** 27.005 3.3.2 +CSMP: <fo>, <vp>, <pid>, <dcs> for text-mode sends. */
  csmp = [17, 167, 0, 0];
  /** TP-MR the next accepted SMS-SUBMIT gets (23.040 9.2.3.6, 0-255, wraps). */
  nextMr = 0;
  /** Accepted SMS-SUBMITs, oldest first; at most sentLimit (the oldest go first). */
  sent: SentPart[] = [];
  sentLimit = Infinity;
  deliveryOutcomes = new Map<string, { outcome: DeliveryOutcome; delayMs: number }>();
  defaultDelivery: { outcome: DeliveryOutcome; delayMs: number } = { outcome: 'delivered', delayMs: 3000 };
  ussdMenu: Record<string, UssdNode> = {};
  ussdSession: UssdNode | null = null;
  /** How long the network takes to answer a USSD request. */
  ussdDelayMs = 0;
  call: Call | null = null;
  /** A routed +CMT/+CDS waiting for +CNMA (27.005 3.4.4). */
  pendingAck: { kind: 'deliver' | 'status-report'; pdu: string; tpduLength: number; cancel: AbortController } | null = null;
  /** Indications held while +CNMI mode is 0 (27.005 3.4.1 <mode> 0: buffer in the TA). */
  bufferedUrcs: string[][] = [];
  /** Incoming SMS the network holds because the receive storage is full (the SC retries later). */
  networkQueue: { pdu: string; tpduLength: number; class: number | null }[] = [];
  /** Clock offset set by AT+CCLK, and the time zone in quarter hours. */
  clockOffsetMs = 0;
  tzQuarters = 0;
  /** Faults the AT engine and behaviours consult (see faults.ts). */
  faults = new Map<string, { remaining: number; opts: Record<string, unknown> }>();
  /** Set by the simulator: AT+CFUN=1,1 power-cycles the device (the port goes away and comes back). */
  onReset: (() => void) | null = null;
  #lastStat = { creg: -1, cereg: -1 };
  #emit: ((lines: string[]) => void) | null = null;
  #abort = new AbortController();

  constructor(profile: Profile, clock: Clock, opts: { pin?: string | null; puk?: string; identity?: Partial<Modem['identity']> } = {}) {
    this.profile = profile;
    this.clock = clock;
    this.behaviors = [];
    this.identity = {
      imei: opts.identity?.imei ?? profile.imei,
      imsi: opts.identity?.imsi ?? '001010123456789',
      iccid: opts.identity?.iccid ?? '8901001012345678901',
    };
    const pin = opts.pin === undefined ? null : opts.pin;
    this.sim = { status: pin ? 'SIM PIN' : 'READY', pin, puk: opts.puk ?? '12345678', pinAttempts: 3, pukAttempts: 10 };
    for (const [name, capacity] of Object.entries(profile.storages) as [StorageName, number][]) {
      this.storages.set(name, new Storage(name, capacity, profile.firstIndex));
    }
    this.resetSettings();
    this.#lastStat = { creg: this.regStat(), cereg: this.regStat() };
  }

  /** ATZ / AT&F: settings back to the profile's defaults; storages and SIM state stay. */
  resetSettings(): void {
    this.settings = {
      echo: true, verbose: true, cmee: 0, cmgf: 0, cscs: 'GSM', csms: 0,
      cnmi: [...this.profile.cnmiDefault], clip: false, creg: 0, cgreg: 0, cereg: 0, cusd: 0, noise: true, portsel: 0, kept: {},
    };
    this.mem = [...this.profile.defaultMem];
  }

  /** Power cycle (AT+CFUN=1,1, replug): settings reset, the SIM asks for its PIN again. */
  powerOn(): void {
    this.resetSettings();
    this.cfun = 1;
    this.call = null;
    this.ussdSession = null;
    this.pendingAck?.cancel.abort();
    this.pendingAck = null;
    this.bufferedUrcs = [];
    if (this.sim.status === 'READY' && this.sim.pin) this.sim.status = 'SIM PIN';
    this.#lastStat = { creg: this.regStat(), cereg: this.regStat() };
  }

  storage(name: StorageName): Storage {
    const s = this.storages.get(name);
    if (!s) throw new Error(`storage ${name} not in profile ${this.profile.name}`);
    return s;
  }

  /** Where status reports go: SR when the modem has it (or the `reportStorage` quirk's), else the receive storage (mem3). */
  get reportStorage(): Storage {
    const wanted = this.quirks.reportStorage;
    return (wanted && this.storages.get(wanted)) || this.storages.get('SR') || this.storage(this.mem[2]);
  }

  /** 27.007 7.2 <stat>: 0 not registered, 1 home, 2 searching, 5 roaming. */
  regStat(): number {
    if (this.cfun !== 1 || this.sim.status !== 'READY') return 0;
    if (!this.network.available) return 2;
    return this.network.roaming ? 5 : 1;
  }

  get registered(): boolean {
    const s = this.regStat();
    return s === 1 || s === 5;
  }

  /** The radio works at all (signal measurable): +CFUN=1 and a network in range. */
  get radioOn(): boolean {
    return this.cfun === 1;
  }

  /** Emits +CREG/+CGREG/+CEREG URCs (and vendor noise) when the registration changed. */
  networkChanged(): void {
    const stat = this.regStat();
    if (stat !== this.#lastStat.creg) {
      this.#lastStat.creg = stat;
      const loc = `,"${this.network.lac}","${this.network.ci}"`;
      if (this.settings.creg > 0) this.urc(`+CREG: ${stat}${this.settings.creg === 2 && this.registered ? loc : ''}`);
      if (this.settings.cgreg > 0) this.urc(`+CGREG: ${stat}${this.settings.cgreg === 2 && this.registered ? loc : ''}`);
      if (this.profile.lte && this.settings.cereg > 0) this.urc(`+CEREG: ${stat}${this.settings.cereg === 2 && this.registered ? loc : ''}`);
      const noise = this.profile.noise?.registration?.(this);
      if (noise && this.settings.noise) this.urc(...noise);
      // Messages the network held while the modem was unreachable arrive once it registers.
      if (this.registered) drainNetwork(this);
    }
  }

  /** Sets the signal; rssi 0..31 or 99 (27.007 8.5). Emits the vendor's signal URC when it has one. */
  setRssi(rssi: number): void {
    if (rssi === this.signal.rssi) return;
    this.signal.rssi = rssi;
    const noise = this.profile.noise?.signal?.(this);
    if (noise && this.settings.noise) this.urc(...noise);
  }

  /** What +CSQ reports now: 99,99 without radio. */
  csq(): { rssi: number; ber: number } {
    if (!this.radioOn || !this.network.available) return { rssi: 99, ber: 99 };
    return { ...this.signal };
  }

  /** Connects the AT engine's URC writer. */
  connect(emit: ((lines: string[]) => void) | null): void {
    this.#emit = emit;
  }

  /** Writes unsolicited result codes, each framed on its own (`\r\nRING\r\n`). */
  urc(...lines: string[]): void {
    for (const line of lines) this.#emit?.([line]);
  }

  /** Writes one indication of several lines (`+CMT: ,23` and its PDU): `\r\n<a>\r\n<b>\r\n`. */
  urcBlock(lines: string[]): void {
    this.#emit?.(lines);
  }

  /** The modem's wall clock (AT+CCLK), in ms. */
  now(): number {
    return this.clock.now() + this.clockOffsetMs;
  }

  /** Aborted when the simulator closes: waits on the clock pass it. */
  get closed(): AbortSignal {
    return this.#abort.signal;
  }

  /** Runs `fn` after `ms` on the injected clock (0: right after the current answer). Cancelled by stop(). */
  later(ms: number, fn: () => void): void {
    if (this.#abort.signal.aborted) return;
    if (ms <= 0) {
      setImmediate(() => { if (!this.#abort.signal.aborted) fn(); });
      return;
    }
    this.clock.sleep(ms, this.#abort.signal).then(fn, () => {});
  }

  /** Arms a fault for `count` uses (Infinity until cleared). */
  armFault(kind: string, count: number, opts: Record<string, unknown> = {}): void {
    this.faults.set(kind, { remaining: count, opts });
  }

  /** Consumes one use of a fault; returns its options when it fired. */
  takeFault(kind: string): Record<string, unknown> | null {
    const f = this.faults.get(kind);
    if (!f) return null;
    f.remaining--;
    if (f.remaining <= 0) this.faults.delete(kind);
    return f.opts;
  }

  hasFault(kind: string): boolean {
    return this.faults.has(kind);
  }

  stop(): void {
    this.#abort.abort(new Error('simulator closed'));
  }
}
