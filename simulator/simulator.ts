// createSimulator: a simulated modem plugged in at a mock serial path, and the typed API that drives
// it (incoming SMS and calls, signal, network, USB unplug, faults, delivery outcomes).
import { systemClock, type Clock } from '../core/clock.ts';
import { encodeDeliver, segments } from '../core/sms/index.ts';
import { AtEngine } from './at.ts';
import type { Behavior } from './behavior.ts';
import { defaultBehaviors } from './behaviors/index.ts';
import { quirkBehaviors } from './behaviors/firmware.ts';
import * as ports from './binding.ts';
import { simulatorBinding, type SimulatorBinding } from './binding.ts';
import { Modem, type DeliveryOutcome, type SentPart, type UssdNode } from './modem.ts';
import { deliverSms, remoteHangup, ring } from './network.ts';
import { persistStorages } from './persist.ts';
import { profiles, type ProfileName } from './profiles.ts';
import { checkQuirks, LINE_ENDINGS, type Quirks } from './quirks.ts';
import { Timing, type TimingOptions } from './timing.ts';
import { formatTranscript, type TranscriptEntry } from './transcript.ts';

export type FaultKind =
  | 'garbage' | 'drop-chars' | 'slow' | 'hang' | 'urc-inside-response' | 'cms-500' | 'cms-304' | 'cms-330' | 'storage-full';

export const FAULT_KINDS: readonly FaultKind[] = [
  'garbage', 'drop-chars', 'slow', 'hang', 'urc-inside-response', 'cms-500', 'cms-304', 'cms-330', 'storage-full',
];

/** Bad input to the simulator API. Codes: unknown_fault, unknown_profile, invalid_argument. */
export class SimulatorError extends Error {
  override name = 'SimulatorError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface FaultOptions {
  /** How many answers (or sends) it affects; default 1, `slow` and `hang` until cleared. */
  count?: number;
  /** `slow`: delay per answer (default 5000). `hang`: ends after this long instead of at the next port open. */
  ms?: number;
  /** `garbage`: the bytes to inject. */
  bytes?: Buffer;
  /** `drop-chars`: how many characters go missing (default 1). */
  chars?: number;
  /** `urc-inside-response`: the SMS that arrives in the middle of the next answer. */
  from?: string;
  text?: string;
  /** `storage-full`: fill the storage with old read messages (default) or just shrink its capacity. */
  fill?: boolean;
}

export interface ReceiveSmsOptions {
  from: string;
  text?: string;
  /** 8-bit data instead of text, optionally port-addressed. */
  data?: Uint8Array;
  port?: { src: number; dst: number };
  encoding?: 'auto' | 'gsm7' | 'ucs2';
  class?: 0 | 1 | 2 | 3;
  /** Make the message exactly this many parts: the text is repeated until it needs that many. */
  parts?: number;
  /** 16-bit concatenation reference (IEI 0x08) instead of 8-bit. */
  ref16?: boolean;
  /** Delivery order of the parts: 'reverse', or 1-based part numbers (`[2, 1, 3]`). */
  order?: 'reverse' | number[];
  /** Part number(s) (1-based) that never arrive. */
  dropPart?: number | number[];
  /** The SC timestamp (default: the clock). */
  timestamp?: Date | string;
}

export interface CreateSimulatorOptions {
  profile?: ProfileName;
  /** The mock port path; a fresh /dev/ttySIM<n> by default. */
  path?: string;
  /** SIM PIN; null (default) for a SIM without PIN lock. */
  pin?: string | null;
  puk?: string;
  /** Messages already stored on the SIM (unread) at power-on; not added when `storageFile` already exists. */
  inbox?: { from: string; text: string; timestamp?: string }[];
  /**
   * Keep the message storages (SM, ME, SR) in this JSON file: loaded at creation when it exists, written
   * on every change. The simulated SIM then outlives the process, like a real one (crash tests).
   */
  storageFile?: string;
  clock?: Clock;
  /** USSD menu tree, by request string (`*100#`). */
  ussd?: Record<string, UssdNode>;
  /** Default status-report outcome and delay for recipients without setDeliveryOutcome. */
  delivery?: { outcome?: DeliveryOutcome; delayMs?: number };
  /** How long AT+CFUN=1,1 keeps the device away. */
  resetMs?: number;
  /** Behaviours tried before the profile's (scenarios, tests). */
  behaviors?: Behavior[];
  identity?: { imei?: string; imsi?: string; iccid?: string };
  /**
   * How many transcript entries (`transcript()`, `transcriptEntries()`) are kept: the most recent ones.
   * Default 1,000; Infinity keeps all. The simulator runs in production (`npm start`): unbounded, its
   * record of every line grew by ~1 KB per SMS.
   */
  transcriptLimit?: number;
  /** How many accepted SMS-SUBMIT parts `sent()` keeps: the most recent ones. Default 1,000; Infinity keeps all. */
  sentLimit?: number;
  /**
   * The timing model (timing.ts): `true` for the defaults, or settings. Off by default: answers leave at
   * once. On, every wait runs on `clock` (a ManualClock in tests).
   */
  timing?: boolean | TimingOptions;
  /** Quirks on top of the profile's own (quirks.ts). */
  quirks?: Quirks;
}

/** A host connected to the modem's serial side (the binding, or stdio). */
export interface Connection {
  /** Bytes from the host. */
  write(data: Buffer): void;
  close(): void;
}

export const DEFAULT_USSD: Record<string, UssdNode> = {
  '*100#': { text: 'Your balance is 5.00 EUR.' },
  '*101#': {
    text: 'Menu\n1 Balance\n2 Data left',
    options: { '1': { text: 'Balance: 5.00 EUR' }, '2': { text: 'Data left: 1.5 GB' } },
  },
};

export interface Simulator {
  readonly path: string;
  readonly binding: SimulatorBinding;
  readonly modem: Modem;
  readonly clock: Clock;
  /** The timing model, null when off. */
  readonly timing: Timing | null;
  /** Connects a host directly (stdio mode); the serialport binding does this on open. */
  connect(write: (data: Buffer) => void): Connection;
  receiveSms(opts: ReceiveSmsOptions): { parts: number; pdus: string[] };
  incomingCall(from: string): boolean;
  hangupCall(): boolean;
  /** 0-31 (27.007 <rssi>), 99 unknown, or a negative dBm value (-113..-51). */
  setSignal(value: number): void;
  deregister(): void;
  register(): void;
  unplug(): void;
  replug(): void;
  /** AT+CFUN=1,1 from the outside: the device goes away for resetMs and comes back freshly booted. */
  powerCycle(): void;
  fault(kind: FaultKind, opts?: FaultOptions): void;
  clearFaults(): void;
  /** The SMS-SUBMITs the host sent, with the TP-MR the modem gave each (the last `sentLimit`). */
  sent(): SentPart[];
  setDeliveryOutcome(recipient: string, outcome: DeliveryOutcome, delayMs?: number): void;
  setUssdMenu(menu: Record<string, UssdNode>): void;
  /** Puts a behaviour in front of the others (a scenario's override). */
  useBehavior(behavior: Behavior): void;
  removeBehavior(name: string): void;
  /** Traffic so far in the transcript format (the last `transcriptLimit` entries). */
  transcript(): string;
  transcriptEntries(): TranscriptEntry[];
  close(): void;
}

/** Default for transcriptLimit and sentLimit. */
const KEEP = 1000;

function limitOf(value: number | undefined, name: string): number {
  if (value === undefined) return KEEP;
  if (value === Infinity || (Number.isInteger(value) && value >= 0)) return value;
  throw new SimulatorError('invalid_argument', `${name} must be a whole number of entries (or Infinity)`);
}

function rssiOf(value: number): number {
  if (!Number.isFinite(value)) throw new SimulatorError('invalid_argument', 'signal must be a number');
  if (value < 0) return Math.max(0, Math.min(31, Math.round((value + 113) / 2))); // 27.007 8.5: -113 dBm = 0, 2 dB steps
  if (value === 99 || (Number.isInteger(value) && value <= 31)) return value;
  throw new SimulatorError('invalid_argument', 'signal must be 0-31, 99, or a negative dBm value');
}

/**
 * `text` repeated until the message needs exactly `parts` parts, counted as `encodeDeliver` will split it:
 * the concatenation IE (8- or 16-bit reference) and a port addressing IE take room in every part.
 * Returns the text and the encoding to send it in: `auto` is fixed to what the whole `text` needs, so a
 * GSM 7-bit prefix of a UCS2 text is not counted in fewer parts than it will be sent in.
 */
function textForParts(
  text: string, parts: number, choice: 'auto' | 'gsm7' | 'ucs2' | undefined, ref16: boolean | undefined, port: boolean,
): { text: string; encoding: 'gsm7' | 'ucs2' } {
  if (!Number.isInteger(parts) || parts < 1 || parts > 255) throw new SimulatorError('invalid_argument', 'parts must be 1-255');
  const base = text || 'Part of a long message.';
  let encoding: 'gsm7' | 'ucs2';
  try {
    encoding = segments(base, { encoding: choice }).encoding;
  } catch (error) {
    throw new SimulatorError('invalid_argument', `cannot encode that SMS: ${(error as Error).message}`);
  }
  const count = (t: string) => segments(t, { encoding, ref16, port }).parts;
  const needs = count(base);
  if (needs === parts) return { text: base, encoding };
  if (needs > parts) throw new SimulatorError('invalid_argument', `the text needs ${needs} parts, more than ${parts}`);
  // Doubling, not appending one copy at a time: 255 parts of a short text stay a few dozen counts.
  let long = `${base} ${base}`;
  while (count(long) <= parts) long = `${long} ${long}`;
  let lo = 0;
  let hi = long.length; // count(long[0..lo]) <= parts < count(long[0..hi])
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (count(long.slice(0, mid)) <= parts) lo = mid;
    else hi = mid;
  }
  // One more code unit adds at most one part, so the longest prefix that fits needs exactly `parts`;
  // unless the cut would split a surrogate pair, which moves whole (one unit back keeps the count).
  let out = long.slice(0, lo);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  if (count(out) !== parts) throw new SimulatorError('invalid_argument', `cannot make that text exactly ${parts} parts`);
  return { text: out, encoding };
}

/**
 * A simulated modem on the serialport mock binding.
 *
 * @example
 * const sim = createSimulator({ profile: 'huawei', clock: new ManualClock() });
 * const port = new SerialPort({ binding: sim.binding, path: sim.path, baudRate: 115200 });
 * sim.receiveSms({ from: '+491701234567', text: 'hello' }); // +CMTI once AT+CNMI asks for it
 */
export function createSimulator(opts: CreateSimulatorOptions = {}): Simulator {
  const profileName = opts.profile ?? 'generic';
  const profile = profiles[profileName];
  if (!profile) throw new SimulatorError('unknown_profile', `unknown profile "${profileName}" (${Object.keys(profiles).join(', ')})`);
  const clock = opts.clock ?? systemClock;
  const path = opts.path ?? ports.nextPath();
  const modem = new Modem(profile, clock, { pin: opts.pin, puk: opts.puk, identity: opts.identity });
  modem.behaviors = [
    ...(opts.behaviors ?? []),
    ...profile.behaviors,
    ...defaultBehaviors.filter((b) => !profile.without.includes(b.name)),
  ];
  modem.ussdMenu = opts.ussd ?? DEFAULT_USSD;
  let timing: Timing | null = null;
  let quirks: Quirks;
  try {
    if (opts.timing) timing = new Timing(opts.timing === true ? {} : opts.timing, profile.latency);
    quirks = { ...profile.quirks, ...checkQuirks(opts.quirks ?? {}) };
  } catch (error) {
    throw new SimulatorError('invalid_argument', (error as Error).message);
  }
  modem.quirks = quirks;
  // Quirks answered by behaviours go after the caller's own, before the profile's.
  modem.behaviors.splice((opts.behaviors ?? []).length, 0, ...quirkBehaviors(quirks));
  modem.defaultDelivery = { outcome: opts.delivery?.outcome ?? 'delivered', delayMs: opts.delivery?.delayMs ?? timing?.reportDelayMs ?? 3000 };
  const resetMs = opts.resetMs ?? 2000;
  const transcriptLimit = limitOf(opts.transcriptLimit, 'transcriptLimit');
  modem.sentLimit = limitOf(opts.sentLimit, 'sentLimit');

  const entries: TranscriptEntry[] = [];
  const record = (dir: '>' | '<', text: string) => {
    entries.push({ dir, text, at: clock.now() });
    if (entries.length > transcriptLimit) entries.shift();
  };
  let sink: ((data: Buffer) => void) | null = null;
  let bootPending = false;
  const engine = new AtEngine(modem, (bytes) => sink?.(bytes), record, { timing, lineEnding: LINE_ENDINGS[quirks.lineEnding ?? 'crlf'] });

  const connect = (write: (data: Buffer) => void, baudRate?: number): Connection => {
    sink = write;
    timing?.setPortBaud(baudRate);
    engine.reset();
    if (bootPending) {
      bootPending = false;
      const lines = profile.boot(modem);
      if (lines.length) modem.later(0, () => modem.urc(...lines));
    }
    let open = true;
    return {
      write: (data) => { if (open) engine.input(data); },
      close: () => {
        open = false;
        if (sink === write) sink = null;
      },
    };
  };

  let current: Connection | null = null;
  ports.plug(path, {
    write: (data) => current?.write(data),
    attach: (emit, baudRate) => { current = connect(emit, baudRate); },
    detach: () => { current?.close(); current = null; },
  }, { manufacturer: profile.manufacturer });

  const powerCycle = () => {
    const wasPlugged = ports.isPlugged(path);
    ports.unplug(path);
    modem.later(resetMs, () => {
      modem.powerOn();
      bootPending = true;
      if (wasPlugged) ports.replug(path);
      else if (sink) connect(sink); // stdio: no port to re-enumerate; the boot lines just appear
    });
  };
  modem.onReset = powerCycle;

  const restored = opts.storageFile ? persistStorages(modem, opts.storageFile) : false;
  // Preloaded inbox: on the SIM, unread, no indication (it arrived while nobody listened).
  for (const m of restored ? [] : opts.inbox ?? []) {
    const storage = modem.storage(modem.mem[2]);
    for (const part of encodeDeliver({ from: m.from, text: m.text, timestamp: m.timestamp ?? new Date(clock.now()), smsc: modem.smsc })) {
      if (!storage.store({ stat: 0, kind: 'deliver', pdu: part.pdu, tpduLength: part.tpduLength })) {
        throw new SimulatorError('invalid_argument', `inbox does not fit in ${storage.name} (capacity ${storage.capacity})`);
      }
    }
  }

  // The stall quirk: the modem goes deaf and mute for `ms`, once or every `everyMs`.
  const stall = quirks.stall;
  if (stall) {
    const hang = () => {
      sim.fault('hang', { ms: stall.ms });
      if (stall.everyMs) modem.later(stall.everyMs, hang);
    };
    modem.later(stall.afterMs ?? stall.everyMs ?? 0, hang);
  }

  const periodic = profile.noise?.periodic;
  if (periodic) {
    const tick = () => {
      if (modem.settings.noise && sink) modem.urc(...periodic.lines(modem));
      modem.later(periodic.everyMs, tick);
    };
    modem.later(periodic.everyMs, tick);
  }

  const sim: Simulator = {
    path,
    binding: simulatorBinding,
    modem,
    clock,
    timing,
    connect: (write) => connect(write),
    receiveSms(o) {
      if (!o || typeof o.from !== 'string' || !o.from) throw new SimulatorError('invalid_argument', 'receiveSms needs a sender (from)');
      if (o.text === undefined && !o.data) throw new SimulatorError('invalid_argument', 'receiveSms needs text or data');
      const sized = o.parts !== undefined && !o.data ? textForParts(o.text ?? '', o.parts, o.encoding, o.ref16, o.port !== undefined) : null;
      const text = sized ? sized.text : o.text;
      let encoded;
      try {
        encoded = encodeDeliver({
          from: o.from, text, data: o.data, port: o.port, encoding: sized ? sized.encoding : o.encoding, class: o.class, ref16: o.ref16,
          timestamp: o.timestamp ?? new Date(modem.now()), tzQuarterHours: o.timestamp === undefined ? modem.tzQuarters : undefined, smsc: modem.smsc,
        });
      } catch (error) {
        throw new SimulatorError('invalid_argument', `cannot encode that SMS: ${(error as Error).message}`);
      }
      const total = encoded.length;
      let order = encoded.map((_, i) => i + 1);
      if (o.order === 'reverse') order.reverse();
      else if (Array.isArray(o.order)) {
        const sorted = [...o.order].sort((a, b) => a - b);
        if (sorted.length !== total || sorted.some((v, i) => v !== i + 1)) {
          throw new SimulatorError('invalid_argument', `order must list parts 1-${total} once each`);
        }
        order = o.order;
      }
      const dropped = new Set(o.dropPart === undefined ? [] : Array.isArray(o.dropPart) ? o.dropPart : [o.dropPart]);
      const pdus: string[] = [];
      for (const n of order) {
        if (dropped.has(n)) continue;
        const part = encoded[n - 1]!;
        pdus.push(part.pdu);
        deliverSms(modem, { pdu: part.pdu, tpduLength: part.tpduLength, class: o.class ?? null });
      }
      return { parts: total, pdus };
    },
    incomingCall: (from) => ring(modem, from),
    hangupCall: () => remoteHangup(modem),
    setSignal(value) {
      modem.setRssi(rssiOf(value));
    },
    deregister() {
      modem.network.available = false;
      modem.networkChanged();
    },
    register() {
      modem.network.available = true;
      modem.networkChanged();
    },
    unplug: () => ports.unplug(path),
    replug: () => ports.replug(path),
    powerCycle,
    fault(kind, o = {}) {
      switch (kind) {
        case 'garbage':
        case 'drop-chars':
        case 'cms-500':
        case 'cms-304':
        case 'cms-330':
          modem.armFault(kind, o.count ?? 1, { ...o });
          return;
        case 'slow':
          modem.armFault(kind, o.count ?? Infinity, { ...o });
          return;
        case 'hang': {
          modem.armFault(kind, Infinity, { until: o.ms ? 'time' : 'reopen' });
          const armed = modem.faults.get('hang');
          if (o.ms) modem.later(o.ms, () => { if (modem.faults.get('hang') === armed) modem.faults.delete('hang'); });
          return;
        }
        case 'urc-inside-response': {
          const storage = modem.storage(modem.mem[2]);
          const [part] = encodeDeliver({ from: o.from ?? '+15550001111', text: o.text ?? 'Arrived mid-answer', timestamp: new Date(modem.now()), smsc: modem.smsc });
          const stored = storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu, tpduLength: part!.tpduLength });
          if (!stored) throw new SimulatorError('unknown_fault', `${storage.name} is full`);
          modem.armFault(kind, o.count ?? 1, { lines: [`+CMTI: "${storage.name}",${stored.index}`] });
          return;
        }
        case 'storage-full': {
          const storage = modem.storage(modem.mem[2]);
          if (o.fill === false) storage.capacity = storage.used;
          else {
            const [filler] = encodeDeliver({ from: '+15550009999', text: 'old message', timestamp: new Date(modem.now() - 86_400_000), smsc: modem.smsc });
            while (storage.store({ stat: 1, kind: 'deliver', pdu: filler!.pdu, tpduLength: filler!.tpduLength }));
          }
          return;
        }
        default:
          throw new SimulatorError('unknown_fault', `unknown fault "${String(kind)}" (${FAULT_KINDS.join(', ')})`);
      }
    },
    clearFaults: () => modem.faults.clear(),
    sent: () => modem.sent.map((s) => ({ ...s })),
    setDeliveryOutcome(recipient, outcome, delayMs) {
      if (!['delivered', 'failed', 'pending-then-delivered'].includes(outcome)) {
        throw new SimulatorError('invalid_argument', `unknown outcome "${outcome}"`);
      }
      modem.deliveryOutcomes.set(recipient, { outcome, delayMs: delayMs ?? modem.defaultDelivery.delayMs });
    },
    setUssdMenu(menu) {
      modem.ussdMenu = menu;
      modem.ussdSession = null;
    },
    useBehavior(behavior) {
      modem.behaviors = [behavior, ...modem.behaviors.filter((b) => b.name !== behavior.name)];
    },
    removeBehavior(name) {
      modem.behaviors = modem.behaviors.filter((b) => b.name !== name);
    },
    transcript: () => formatTranscript(entries),
    transcriptEntries: () => entries.map((e) => ({ ...e })),
    close() {
      modem.stop();
      ports.remove(path);
      sink = null;
    },
  };
  return sim;
}
