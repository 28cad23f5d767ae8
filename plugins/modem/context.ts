// What the parts of one modem driver share: its options and dependencies, the AT engine, what the
// modem told about itself, and the per-connection state that set-up, reading, health and reconnect
// all touch. One mutable object per ModemDriver, never handed outside the modem plugin.
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { ModemStatus } from '../../core/services.ts';
import type { Store } from '../../core/store.ts';
import type { AtEngine } from './at.ts';
import type { Calls } from './calls.ts';
import type { Inbox } from './inbox.ts';
import type { Outbox } from './outbox.ts';
import type { BindingInterface, Port } from './port.ts';
import type { Reports } from './reports.ts';
import type { Trace } from './trace.ts';
import type { Domain } from './registration.ts';
import { UnreadSlots } from './unread.ts';
import type { Ussd } from './ussd.ts';

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
  /** A storage this full (percent) is emptied and reported (sim.storage_nearly_full); 0 = off. */
  storageWarnPercent: number;
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

/** What the modem and the network told about themselves (identity at set-up, the rest on every health check). */
export interface ModemInfo {
  operator: string | null;
  signalDbm: number | null;
  registration: string | null;
  sim: string | null;
  model: string | null;
  manufacturer: string | null;
  imei: string | null;
  imsi: string | null;
  iccid: string | null;
  /** 2G, 3G, LTE or 5G: the <AcT> of +COPS? (27.007 7.3) at the last health check. */
  networkType?: string | null;
  /** The message storage incoming SMS use (SM when listed), as +CPMS? counted it at the last health check. */
  storage?: { mem: string; used: number; total: number } | null;
}

export interface DriverContext {
  readonly id: string;
  readonly options: DriverOptions;
  readonly deps: DriverDeps;
  readonly at: AtEngine;
  readonly ussd: Ussd;
  readonly calls: Calls;
  /** Aborted when the driver stops. */
  readonly signal: AbortSignal;
  readonly info: ModemInfo;
  /** The driver's state; changed only through setState, which announces modem.online / modem.offline. */
  readonly state: ModemStatus['state'];
  setState(state: ModemStatus['state'], reason?: string): void;
  port: Port | undefined;
  /** Registered on the network: any of +CREG/+CGREG/+CEREG/+C5GREG says so (registration.ts). */
  registered: boolean;
  /** The registration domains the modem answers (set-up), and the last <stat> each gave. */
  regDomains: Domain[];
  regStats: Partial<Record<Domain, number>>;
  /** Set up and able to take commands (sends, health checks). */
  ready: boolean;
  /** Commands in a row that got no answer; a hang at options.hangThreshold. */
  misses: number;
  resets: number;
  /** 27.005 3.2.1 AT+CSMS service: 1 means routed messages must be acknowledged with +CNMA. */
  csms: number;
  /** mem1 storages to sweep at start-up, and the one new messages go to. */
  storages: string[];
  mem1: string;
  /** The tail of the serial read chain (reading.ts). */
  readChain: Promise<unknown>;
  /**
   * The storage counts (AT+CPMS?) the last full read left behind: messages kept there on purpose (the
   * user's drafts and sent items). The health check reads everything again only when they change.
   */
  leftStored: string | undefined;
  /** Storages reported nearly full and not below the mark since (one event per filling). */
  readonly storageWarned: Set<string>;
  /** The storage counts of the last health check (AT+CPMS?), for status. */
  storage: { mem: string; used: number; total: number }[];
  /** Stored messages no read gave whole: left on the SIM, read again later (reading.ts). */
  readonly unread: UnreadSlots;
  /** The +CNMI values the set-up chose (27.005 3.4.1), to tell whether a modem forgot them. */
  cnmi: number[] | undefined;
  /** A look at the modem after its boot lines is under way (reboot.ts). */
  rebootCheck: Promise<void> | undefined;
  /** Ends the current connection so the supervisor reopens the port (and says why); set while one runs. */
  resetRequested: ((reason?: string) => void) | undefined;
  /** Ends the health loop's wait early (a command went unanswered: probe now); set while it waits. */
  wakeHealth: (() => void) | undefined;
}

/** The context with nothing known yet, for a driver about to start. */
export function createContext(parts: Pick<DriverContext, 'id' | 'options' | 'deps' | 'at' | 'ussd' | 'calls' | 'signal' | 'state' | 'setState'>): DriverContext {
  return Object.assign(parts, {
    info: { operator: null, signalDbm: null, registration: null, sim: null, model: null, manufacturer: null, imei: null, imsi: null, iccid: null },
    port: undefined,
    registered: false,
    regDomains: ['+CREG'] as Domain[],
    regStats: {},
    ready: false,
    misses: 0,
    resets: 0,
    csms: 0,
    storages: [],
    mem1: '',
    readChain: Promise.resolve(),
    leftStored: undefined,
    storageWarned: new Set<string>(),
    storage: [],
    unread: new UnreadSlots(),
    cnmi: undefined,
    rebootCheck: undefined,
    resetRequested: undefined,
    wakeHealth: undefined,
  });
}
