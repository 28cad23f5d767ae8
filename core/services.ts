/**
 * Contracts between plugins: the services one plugin provides (`ctx.provide`) and others use
 * (`ctx.use`). Types only; each implementation lives with its plugin.
 *
 * - `sms`   provided by the modem plugin (the first instance; further instances join it)
 * - `api`   provided by the API plugin: other plugins mount routes through it
 */
import type { SimBalance, SmsReceived } from './events.ts';

export type RequestedEncoding = 'auto' | 'gsm7' | 'ucs2';

export interface SendRequest {
  /** E.164 (`+15550100100`), national digits, or a short code. */
  to: string;
  text: string;
  encoding?: RequestedEncoding;
  deliveryReport?: boolean;
  validityMinutes?: number;
  /** A message not sent within this many seconds ends as `sms.expired`. */
  ttlSeconds?: number;
  /** Modem instance id; round robin over online modems when absent. */
  modem?: string;
  /** Echoed in every event about the message (≤ 40 characters). */
  clientRef?: string;
  /** Receives this message's sms.sent/delivered/failed/expired events (the webhook plugin delivers them). */
  callbackUrl?: string;
  /** Hold the message until this time (RFC 3339 with offset); in the future, at most a year ahead. */
  sendAt?: string;
  /** `high` goes first in the outbound queue, `low` last; default `normal`. */
  priority?: 'high' | 'normal' | 'low';
}

export interface SendAccepted {
  id: string;
  status: 'queued';
  to: string;
  parts: number;
  encoding: 'gsm7' | 'ucs2';
}

export type OutboundStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'expired' | 'cancelled';

export interface OutboundPart {
  part: number;
  /** TP-MR assigned by the modem (+CMGS), once sent. */
  mr: number | null;
  status: 'queued' | 'sent' | 'delivered' | 'pending' | 'failed';
  /** TP-ST of its delivery report, and meaning. */
  reportStatus?: number;
  reportText?: string;
  sentAt?: string;
  reportAt?: string;
}

export interface OutboundMessage {
  id: string;
  direction: 'outbound';
  to: string;
  text: string;
  encoding: 'gsm7' | 'ucs2';
  parts: number;
  status: OutboundStatus;
  modem: string | null;
  clientRef?: string;
  priority: 'high' | 'normal' | 'low';
  createdAt: string;
  /** When a scheduled message is held until. */
  sendAt?: string;
  /** Why a queued message waits beyond its turn: `daily cap`, `quiet hours`, `parked`, `modem offline`, ... */
  held?: string;
  /** When it may go (absent when not known, e.g. a modem offline). */
  heldUntil?: string;
  cancelledAt?: string;
  sentAt?: string;
  deliveredAt?: string;
  failedAt?: string;
  error?: { code?: number; message: string };
  partDetails: OutboundPart[];
}

/** A received message as stored: the `sms.received` payload, keyed by its id, with when it was stored. */
export interface InboundMessage extends Omit<SmsReceived, 'messageId'> {
  id: string;
  direction: 'inbound';
  storedAt: string;
  /** When it was marked read (PATCH /sms/messages/:id `{ "read": true }`); absent while unread. */
  readAt?: string;
}

export type Message = InboundMessage | OutboundMessage;

/** GET /sms/messages: a page, newest first, narrowed by the filters given (all of them must hold). */
export interface MessageQuery {
  direction: 'inbound' | 'outbound';
  limit: number;
  /** The cursor: the `next` of the previous page (an id); throws invalid_query naming `cursor` when it names no message. */
  before?: string;
  status?: OutboundStatus;
  to?: string;
  from?: string;
  modem?: string;
  clientRef?: string;
  /** Created (outbound) or stored (inbound) at or after / before these times, in ms. */
  since?: number;
  until?: number;
  /** Text contains this (case-insensitive for ASCII letters). */
  q?: string;
  /** The sender (inbound) or recipient (outbound) contains this. */
  number?: string;
  /** Inbound only: marked read (true) or not (false). */
  read?: boolean;
}

/** A conversation: the messages to and from one number through one modem. */
export interface Thread {
  number: string;
  modem: string;
  /** Messages in the thread, and how many of them were received. */
  messages: number;
  inbound: number;
  /** The newest message (its id is the thread's place in the list, and the cursor after it). */
  last: { id: string; direction: 'inbound' | 'outbound'; text: string | null; at: string; status?: OutboundStatus };
}

/** GET /sms/threads: newest activity first. */
export interface ThreadQuery {
  limit: number;
  /** The cursor: the `next` of the previous page (the last thread's newest message id). */
  before?: string;
  modem?: string;
  /** The number contains these digits, or a message of the thread contains this text. */
  q?: string;
}

/** GET /sms/threads/messages: one thread's messages, newest first, both directions. */
export interface ThreadMessagesQuery {
  number: string;
  modem: string;
  limit: number;
  before?: string;
}

export interface DeliveryReport {
  id: string;
  messageId: string | null;
  to: string;
  mr: number;
  status: number;
  state: 'delivered' | 'pending' | 'failed' | 'expired' | 'rejected' | 'unknown';
  statusText: string;
  dischargeTime: string | null;
  receivedAt: string;
  modem: string;
}

export interface UssdResult {
  code: string;
  response: string;
  /** `+CUSD: 1`: the network waits for a reply (`ussdReply`). */
  sessionOpen: boolean;
  dcs: number | null;
}

/** A modem's last balance reading (`modem({ balance })`), as `sim.balance` recorded it. */
export interface BalanceReading extends Omit<SimBalance, 'trigger'> {
  /** The latest attempt failed after this reading: why, and when. */
  lastError?: { message: string; at: string };
}

export interface ModemStatus {
  id: string;
  state: 'starting' | 'online' | 'offline' | 'sim-locked' | 'error';
  operator: string | null;
  signalDbm: number | null;
  registration: string | null;
  sim: string | null;
  model: string | null;
  /** Masked (first 4 and last 2 digits) for display. */
  imei: string | null;
  simulator: boolean;
  resets: number;
  /** Why it is not online, in plain words (e.g. the OS's words when its port cannot be opened); null when online. */
  reason: string | null;
  /** The last balance reading when `balance` is configured (null before the first). */
  balance?: BalanceReading | null;
  /** Its sending policy: counters against caps, why it holds messages now, parked. */
  sending?: ModemSending;
  /** The message storages at the last health check (27.005 AT+CPMS?), one entry per storage. */
  storage?: StorageStatus[];
  /** The keep-alive when `keepAlive` is configured. */
  keepAlive?: KeepAliveStatus;
}

export interface StorageStatus {
  /** 27.005 storage name: SM (SIM), ME (phone), MT, SR, ... */
  mem: string;
  used: number;
  total: number;
  /** At or above storageWarnPercent (reported by sim.storage_nearly_full) and not below it since. */
  nearlyFull: boolean;
}

export interface KeepAliveStatus {
  kind: 'sms' | 'ussd';
  everyDays: number;
  /** The SIM's last send or keep-alive (ISO with offset); the agent's first start on a SIM it has no record of. */
  lastActivityAt: string | null;
  /** The last keep-alive the agent did, null before the first. */
  lastKeepAliveAt: string | null;
  /** When the next one is due if the SIM sends nothing before. */
  dueAt: string | null;
}

/** The counters of one SIM against its caps (parts sent; distinct recipients in 30 days). */
export interface SendCounters {
  minute: number;
  hour: number;
  day: number;
  month: number;
  recipients30Days: number;
}

export interface ModemSending {
  counts: SendCounters;
  /** Only the caps configured. */
  caps: Partial<SendCounters>;
  /** Why a new one-part message to a new number would wait now (`daily cap`, `quiet hours`, `parked`...), null: it would go. */
  held: string | null;
  heldUntil: string | null;
  parked: { since: string; reason: string; failures: number; retryAt: string | null } | null;
  /** Permanent send failures in a row. */
  failures: number;
}

/**
 * What Home Assistant shows per modem beside its status: the full IMEI (the user's own home automation
 * may see it; logs and /health mask it), the network type, SIM storage and today's counts.
 */
export interface ModemDetails {
  id: string;
  imei: string | null;
  manufacturer: string | null;
  model: string | null;
  /** 2G, 3G, LTE or 5G, from +COPS? <AcT>; null when the modem does not say. */
  networkType: string | null;
  simStorage: { mem: string; used: number; total: number } | null;
  /** Outbound messages waiting for this modem (queued or being sent, not held for a later sendAt). */
  queued: number;
  /** Messages this modem sent, and messages that failed on it, since local midnight. */
  sentToday: number;
  failedToday: number;
}

/** Typed errors a caller (the API) maps to 4xx: `field` names the offending request field. */
export interface ServiceErrorShape {
  code: string;
  message: string;
  field?: string;
  status?: number;
}

export interface SmsService {
  /** Validates, then enqueues durably (committed) before returning. Throws a ServiceErrorShape-like error. */
  send(request: SendRequest): SendAccepted;
  listMessages(query: MessageQuery): Message[];
  /** Conversations (one per number and modem), newest activity first. */
  threads?(query: ThreadQuery): Thread[];
  /** One conversation's messages, both directions, newest first. */
  threadMessages?(query: ThreadMessagesQuery): Message[];
  getMessage(id: string): Message | undefined;
  /** Cancels a queued or scheduled outbound message (sms.cancelled). Throws not_found / message_not_queued. */
  cancel(id: string): OutboundMessage;
  /** Changes the text or the time of a message still queued. Throws not_found / message_not_queued / invalid_request. */
  change(id: string, change: { text?: string; sendAt?: string | null }): OutboundMessage;
  listDeliveryReports(query: { limit: number; before?: string }): DeliveryReport[];
  ussd(code: string, options?: { modem?: string; timeoutMs?: number }): Promise<UssdResult>;
  ussdReply(text: string, options?: { modem?: string }): Promise<UssdResult>;
  ussdCancel(options?: { modem?: string }): Promise<void>;
  modems(): ModemStatus[];
  /** Marks a received message read or unread. Throws not_found (also for an outbound id). */
  markRead?(id: string, read: boolean): InboundMessage;
  /** Deletes a received message from the store (the event journal keeps its sms.received). Throws not_found. */
  deleteReceived?(id: string): InboundMessage;
  /** Puts a parked modem back to sending (modem.unparked); false when it was not parked; throws not_found for an unknown id. */
  unpark?(id: string): boolean;
  /** A modem's setup checks (port, AT, SIM, registration, signal, SMSC, storage, indications); undefined for an unknown id. */
  doctor?(id: string): Promise<{ modem: string; status: 'pass' | 'warn' | 'fail'; checks: { name: string; status: 'pass' | 'warn' | 'fail'; detail: string }[] }> | undefined;
  /**
   * Reads a modem's balance now (sim.balance, sim.balance_low); undefined for an unknown id. Rejects with
   * balance_not_configured, modem_offline, ussd_timeout, modem_error or balance_unreadable.
   */
  balance?(id: string): Promise<BalanceReading> | undefined;
  /** Per modem: identity, network type, SIM storage, queue and today's counts (Home Assistant's sensors). */
  modemDetails?(): ModemDetails[];
  stats(): { outboundQueued: number; inboundTotal: number; outboundTotal: number; failedTotal: number; deliveryReports: number; decodeErrors: number; resets: number; unreadOnSim?: number; outboundScheduled?: number; held?: Record<string, number> };
}

declare module './plugin.ts' {
  interface Services {
    sms: SmsService;
  }
}
