/**
 * The typed map of every event the agent records. An event is a fact captured once: its `id`
 * (UUIDv7, time-sortable) is generated when the fact is captured and never changes, so receivers can
 * de-duplicate on it across retries, restarts and replays.
 */

export type Encoding = 'gsm7' | 'ucs2' | '8bit';

export interface SmsReceived {
  messageId: string;
  from: string;
  /** Absent for 8-bit port-addressed messages, which carry `data` and `port` instead. */
  text?: string;
  data?: string;
  port?: number;
  encoding: Encoding;
  parts: number;
  /** The network's service-centre timestamp, ISO 8601 with its offset. */
  receivedAt: string;
  smsc: string | null;
  modem: string;
  class: 0 | 1 | 2 | 3 | null;
  /** Set when a concatenated message timed out with parts missing. */
  incomplete?: boolean;
  missingParts?: number[];
}

export interface OutboundRef {
  messageId: string;
  to: string;
  modem: string;
  clientRef?: string;
  callbackUrl?: string;
}

export interface SmsSent extends OutboundRef {
  parts: number;
  sentAt: string;
  /** TP-MR of each part, in part order. */
  references: number[];
}

export interface SmsDelivered extends OutboundRef {
  deliveredAt: string;
  /** TP-ST (23.040 9.2.3.15) of the last part's report, and its meaning. */
  status: number;
  statusText: string;
}

export interface SmsFailed extends OutboundRef {
  reason: string;
  /** +CMS ERROR code, or TP-ST for a failed delivery report. */
  code?: number;
  /** 'send' when the modem/network refused it, 'delivery' when the report said it failed. */
  stage: 'send' | 'delivery';
  state?: 'failed' | 'rejected' | 'expired' | 'unknown';
}

export interface SmsExpired extends OutboundRef {
  ttlSeconds: number;
}

/** A queued or scheduled message withdrawn before it reached the modem (DELETE /sms/messages/:id). */
export interface SmsCancelled extends OutboundRef {
  cancelledAt: string;
}

export interface CallMissed {
  from: string | null;
  at: string;
  modem: string;
}

export interface ModemOnline {
  modem: string;
  operator?: string | null;
  signalDbm?: number | null;
}

export interface ModemOffline {
  modem: string;
  reason: string;
}

/** A prepaid balance read with the modem's USSD code (`modem({ balance })`). */
export interface SimBalance {
  modem: string;
  amount: number;
  /** The pattern's `currency` group, when it has one. */
  currency: string | null;
  /** The network's answer, as the operator worded it. */
  answer: string;
  checkedAt: string;
  /** Below the configured `low` (a `sim.balance_low` follows). */
  low: boolean;
  /** `schedule` (every `everyHours`) or `request` (POST /modems/:id/balance, Home Assistant's button). */
  trigger: 'schedule' | 'request';
}

/** A balance read below the configured `low`. */
export interface SimBalanceLow {
  modem: string;
  amount: number;
  currency: string | null;
  threshold: number;
  checkedAt: string;
}

/** A modem taken out of sending after permanent failures in a row; its unpinned messages go to other modems. */
export interface ModemParked {
  modem: string;
  /** The last failure's words (e.g. the network's +CMS ERROR meaning). */
  reason: string;
  failures: number;
  /** When it tries again by itself; null: only by POST /modems/:id/unpark. */
  retryAt: string | null;
}

/** A keep-alive of an idle prepaid SIM (`modem({ keepAlive })`): an SMS queued or a USSD code answered. */
export interface SimKeepAlive {
  modem: string;
  kind: 'sms' | 'ussd';
  at: string;
  /** The SIM's last send before it (null: none known). */
  idleSince: string | null;
  /** kind sms: the queued message (its sms.sent / sms.failed follow). */
  messageId?: string;
  /** kind ussd: the code and the network's answer. */
  code?: string;
  answer?: string;
}

/** A SIM storage at or above storageWarnPercent, and what the agent did about it. */
export interface SimStorageNearlyFull {
  modem: string;
  /** 27.005 storage name: SM (SIM), ME (phone), SR (status reports), ... */
  storage: string;
  used: number;
  total: number;
  /** After the agent read and deleted what it may. */
  usedAfter: number;
  /** `emptied`: messages were stored by the agent and deleted; `kept`: nothing it may delete. */
  action: 'emptied' | 'kept';
  detail: string;
}

export interface ModemUnparked {
  modem: string;
  /** `api`: POST /modems/:id/unpark; `timer`: the retry time came. */
  by: 'api' | 'timer';
  parkedSince: string;
}

export interface SystemPing {
  agentId: string;
  uptimeSeconds: number;
}

export interface WebhookTest {
  webhookId: string;
}

export interface EventMap {
  'sms.received': SmsReceived;
  'sms.sent': SmsSent;
  'sms.delivered': SmsDelivered;
  'sms.failed': SmsFailed;
  'sms.expired': SmsExpired;
  'sms.cancelled': SmsCancelled;
  'call.missed': CallMissed;
  'modem.online': ModemOnline;
  'modem.offline': ModemOffline;
  'sim.balance': SimBalance;
  'sim.balance_low': SimBalanceLow;
  'modem.parked': ModemParked;
  'modem.unparked': ModemUnparked;
  'sim.keepalive': SimKeepAlive;
  'sim.storage_nearly_full': SimStorageNearlyFull;
  'system.ping': SystemPing;
  'webhook.test': WebhookTest;
}

export type EventType = keyof EventMap;

export const eventTypes: readonly EventType[] = [
  'sms.received',
  'sms.sent',
  'sms.delivered',
  'sms.failed',
  'sms.expired',
  'sms.cancelled',
  'call.missed',
  'modem.online',
  'modem.offline',
  'sim.balance',
  'sim.balance_low',
  'modem.parked',
  'modem.unparked',
  'sim.keepalive',
  'sim.storage_nearly_full',
  'system.ping',
  'webhook.test',
];

/** One recorded event. `seq` is the journal's order, absent before it is appended. */
export interface AgentEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  /** ISO 8601 with offset: when the fact was captured. */
  timestamp: string;
  data: EventMap[T];
  seq?: number;
}

/** Any event, narrowed by `type`. */
export type AnyEvent = { [K in EventType]: AgentEvent<K> }[EventType];

export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

/**
 * An event as it may leave the agent (files, MQTT, programs, webhooks, the UI): the journal keeps a
 * sent message's `callbackUrl` so the webhook plugin can deliver to it, but that URL is another
 * receiver's address and may carry its token, so it is never shown to anyone else.
 */
export function publicEvent<E extends AgentEvent>(event: E): E {
  const data = event.data as unknown as Record<string, unknown>;
  if (!data || typeof data !== 'object' || !('callbackUrl' in data)) return event;
  const { callbackUrl: _hidden, ...rest } = data;
  return { ...event, data: rest as unknown as E['data'] };
}
