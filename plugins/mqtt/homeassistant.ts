// Home Assistant over MQTT: what the discovered entities read and what their commands do
// (plugins/mqtt/discovery.ts publishes the configs; docs in plugins/mqtt/README.md).
import { isUtf8 } from 'node:buffer';
import type { AnyEvent, EventType } from '../../core/events.ts';
import type { Logger } from '../../core/log.ts';
import type { SinkSubscription } from '../../core/journal.ts';
import type { PluginContext } from '../../core/plugin.ts';
import type { ModemDetails, ModemStatus, SmsService } from '../../core/services.ts';
import type { Migration, Store } from '../../core/store.ts';
import { clip, discoveryMessages, formerConfigTopics, lastSmsState, type DiscoveredModem } from './discovery.ts';
import type { MqttOptions } from './options.ts';
import type { Topics } from './topics.ts';

type HaOptions = NonNullable<MqttOptions['homeAssistant']>;

export const haMigrations: Migration[] = [
  { version: 1, up: 'CREATE TABLE ha_recipients (modem TEXT PRIMARY KEY, recipients TEXT NOT NULL, updated_ms INTEGER NOT NULL)' },
];

/** `+4915..., 0151 234;+1555` → the numbers; null when one of them is not a number. */
export function parseRecipients(value: string): string[] | null {
  const parts = value.split(/[\s,;]+/).filter(Boolean);
  if (!parts.every((p) => /^\+?[0-9]{3,20}$/.test(p))) return null;
  return [...new Set(parts)];
}

/** An event for the event entity: `event_type` and the attributes Home Assistant shows with it. */
export interface HaEvent {
  event_type: 'received' | 'sent' | 'delivered' | 'failed';
  number: string;
  text: string | null;
  modem: string;
  time: string;
  message_id: string | null;
  reason?: string;
  event_id?: string;
}

/** Events of the journal the event entity shows. */
const journalTypes: EventType[] = ['sms.received', 'sms.sent', 'sms.delivered', 'sms.failed', 'sms.expired', 'sms.cancelled'];

/** A journal event as the event entity's payload; null for the events it does not show. */
export function haEventOf(event: AnyEvent, textOf: (messageId: string) => string | null): HaEvent | null {
  const base = { time: event.timestamp, event_id: event.id };
  switch (event.type) {
    case 'sms.received': {
      const d = event.data;
      const text = d.text ?? (d.data !== undefined ? `[${d.encoding} data, ${d.data.length / 2} bytes]` : '');
      return { event_type: 'received', number: d.from, text, modem: d.modem, message_id: d.messageId, ...base, time: d.receivedAt };
    }
    case 'sms.sent':
      return { event_type: 'sent', number: event.data.to, text: textOf(event.data.messageId), modem: event.data.modem, message_id: event.data.messageId, ...base };
    case 'sms.delivered':
      return { event_type: 'delivered', number: event.data.to, text: textOf(event.data.messageId), modem: event.data.modem, message_id: event.data.messageId, ...base };
    case 'sms.failed':
      return { event_type: 'failed', number: event.data.to, text: textOf(event.data.messageId), modem: event.data.modem, message_id: event.data.messageId, reason: event.data.reason, ...base };
    case 'sms.expired':
      return {
        event_type: 'failed', number: event.data.to, text: textOf(event.data.messageId), modem: event.data.modem, message_id: event.data.messageId,
        reason: `not sent within its ttlSeconds (${event.data.ttlSeconds} s)`, ...base,
      };
    case 'sms.cancelled':
      // Withdrawn before it reached the modem (REST API, operator page): for Home Assistant a send that did not happen.
      return {
        event_type: 'failed', number: event.data.to, text: textOf(event.data.messageId), modem: event.data.modem, message_id: event.data.messageId,
        reason: 'cancelled before it was sent', ...base,
      };
    default:
      return null;
  }
}

export interface HaDeps {
  agentId: string;
  topics: Topics;
  store: Store;
  log: Logger;
  now(): number;
  sms(): SmsService | undefined;
  /** A QoS 1 publish; resolves on PUBACK, rejects when not connected. */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  /** Resolves when the client is connected (again). */
  connected(): Promise<void>;
  isConnected(): boolean;
  /** The API's first address, for configuration_url when none is configured. */
  apiUrl(): string | undefined;
}

/**
 * The Home Assistant side of the MQTT plugin: per-modem state, the event entity (fed from the durable
 * journal, so a received SMS or a send's outcome reaches it once the broker is back), notify to
 * contacts and to the stored recipients, the balance button and USSD.
 */
export class HomeAssistant {
  readonly #o: HaOptions;
  readonly #d: HaDeps;
  #discovered = '';
  #sub: SinkSubscription | undefined;

  constructor(options: HaOptions, deps: HaDeps) {
    this.#o = options;
    this.#d = deps;
  }

  /** The command topics to subscribe to (QoS 1, in the persistent session). */
  get subscriptions(): string[] {
    return this.#d.topics.haCommands;
  }

  handles(topic: string): boolean {
    return topic.startsWith(this.#d.topics.haPrefix);
  }

  /** Starts the event entity's durable feed (its own journal cursor: at least once, in order). */
  start(ctx: Pick<PluginContext, 'events' | 'name'>): void {
    this.#sub = ctx.events.subscribe(
      `${ctx.name}:homeassistant`,
      async (event) => {
        const payload = haEventOf(event, (id) => this.#textOf(id));
        if (!payload) return;
        await this.#deliver(this.#d.topics.ha(payload.modem).event, JSON.stringify(payload));
        if (event.type === 'sms.received') {
          await this.#deliver(this.#d.topics.ha(payload.modem).lastSms, JSON.stringify(lastSmsState(event.data, event.id, this.#o.showSender)), true);
        }
      },
      { types: journalTypes, backoff: (attempt) => Math.min(30_000, 1000 * 2 ** (attempt - 1)) },
    );
  }

  async stop(): Promise<void> {
    await this.#sub?.stop();
  }

  lag(): number {
    return this.#sub?.lag() ?? 0;
  }

  /**
   * From a command's handler: not awaited, because mqtt.js reads nothing more (a PUBACK included) until
   * the handler is done. A failure is logged; what it carried is published again from the store at the
   * next connect (recipients) or is the answer to a command already carried out.
   */
  #publishAside(topic: string, payload: string, retain = false): void {
    this.#d.publish(topic, payload, retain).catch((error: unknown) => this.#d.log.warn({ err: error, topic }, 'Home Assistant publish failed'));
  }

  /** QoS 1 until PUBACK; while the broker is away, waits for it instead of failing the journal's event. */
  async #deliver(topic: string, payload: string, retain = false): Promise<void> {
    for (;;) {
      try {
        await this.#d.publish(topic, payload, retain);
        return;
      } catch (error) {
        if (this.#d.isConnected()) throw error;
        await this.#d.connected();
      }
    }
  }

  #textOf(messageId: string): string | null {
    const m = this.#d.sms()?.getMessage(messageId);
    return m && 'text' in m && typeof m.text === 'string' ? m.text : null;
  }

  #modems(): { status: ModemStatus; details: ModemDetails | undefined }[] {
    const sms = this.#d.sms();
    const details = sms?.modemDetails?.() ?? [];
    return (sms?.modems() ?? []).map((status) => ({ status, details: details.find((d) => d.id === status.id) }));
  }

  /** Discovery when something a config shows changed (a new modem, its IMEI, a currency); `force` at every connect. */
  async publishDiscovery(force = false): Promise<void> {
    const modems: DiscoveredModem[] = this.#modems().map(({ status, details }) => ({
      id: status.id,
      imei: details?.imei ?? null,
      manufacturer: details?.manufacturer ?? null,
      model: details?.model ?? status.model,
      currency: status.balance?.currency ?? null,
      balance: status.balance !== undefined,
    }));
    const key = JSON.stringify(modems);
    if (!force && key === this.#discovered) return;
    this.#discovered = key;
    const prefix = this.#o.discoveryPrefix;
    const configurationUrl = this.#o.configurationUrl ?? this.#d.apiUrl();
    const messages = discoveryMessages({ prefix, agentId: this.#d.agentId, topics: this.#d.topics, modems, contacts: this.#o.contacts, configurationUrl });
    const sends: Promise<void>[] = [];
    if (force) for (const topic of formerConfigTopics(prefix, this.#d.agentId)) sends.push(this.#d.publish(topic, '', true));
    for (const m of messages) sends.push(this.#d.publish(m.topic, JSON.stringify(m.config), true));
    await Promise.all(sends);
  }

  /** Every modem's retained state, and the recipients and USSD entities' values; discovery again if it changed. */
  async publishState(connect = false): Promise<void> {
    if (!this.#d.isConnected()) return;
    await this.publishDiscovery(connect);
    const sends: Promise<void>[] = [];
    for (const { status, details } of this.#modems()) {
      const t = this.#d.topics.ha(status.id);
      sends.push(this.#d.publish(t.state, JSON.stringify(this.stateOf(status, details)), true));
      if (connect) {
        sends.push(this.#d.publish(t.recipients, this.recipients(status.id).join(', '), true));
        if (!this.#ussd.has(status.id)) sends.push(this.#d.publish(t.ussd, JSON.stringify({ code: '', answer: '' }), true));
      }
    }
    await Promise.all(sends);
  }

  /** The recipients stored for a modem's recipients notify entity. */
  recipients(modem: string): string[] {
    const row = this.#d.store.get<{ recipients: string }>('SELECT recipients FROM ha_recipients WHERE modem = ?', modem);
    return row ? (JSON.parse(row.recipients) as string[]) : [];
  }

  /** A command from Home Assistant: `<base>/<agent>/ha/<modem>/<what>`. */
  async onMessage(topic: string, payload: Buffer): Promise<void> {
    const rest = topic.slice(this.#d.topics.haPrefix.length);
    const slash = rest.indexOf('/');
    const modem = rest.slice(0, slash);
    const what = rest.slice(slash + 1);
    const known = this.#d.sms()?.modems().some((m) => m.id === modem) ?? false;
    if (!known) {
      this.#d.log.warn({ modem }, 'Home Assistant command for a modem this agent does not have: ignored');
      return;
    }
    const t = this.#d.topics.ha(modem);
    if (what === 'recipients/set') return this.#setRecipients(modem, payload);
    if (what === 'notify') return this.#notify(modem, this.recipients(modem), payload, 'no recipient: set the SMS recipients text entity first');
    if (what.startsWith('notify/')) {
      const contact = what.slice('notify/'.length);
      const number = Object.hasOwn(this.#o.contacts, contact) ? this.#o.contacts[contact] : undefined;
      return this.#notify(modem, number ? [number] : [], payload, `no recipient: "${contact}" is not among homeAssistant.contacts`);
    }
    // The network takes seconds to answer: run aside, so the messages behind wait for nothing.
    if (what === 'balance/refresh') {
      // The reading (or the failure, as balanceDetails.lastError) reaches the sensors through the state.
      const reading = this.#d.sms()?.balance?.(modem);
      void (reading ?? Promise.resolve())
        .catch((error: unknown) => this.#d.log.warn({ modem, err: error }, 'balance refresh from Home Assistant failed'))
        .then(() => this.publishState())
        .catch(() => {});
      return;
    }
    if (what === 'ussd/set') void this.#runUssd(modem, t.ussd, payload.toString().trim()).catch(() => {});
  }

  #ussd = new Set<string>();

  async #runUssd(modem: string, topic: string, code: string): Promise<void> {
    this.#ussd.add(modem);
    if (!code) return;
    const at = () => new Date(this.#d.now()).toISOString();
    const sms = this.#d.sms();
    let state: Record<string, unknown>;
    try {
      if (!/^[0-9*#+]{1,182}$/.test(code)) throw new Error('not a USSD code (digits, * and #, e.g. *100#)');
      const result = await sms!.ussd(code, { modem });
      state = { code, answer: clip(result.response), at: at(), sessionOpen: result.sessionOpen };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      state = { code, answer: clip(`error: ${message}`), at: at(), error: message, ...(typeof (error as { code?: unknown }).code === 'string' ? { errorCode: (error as { code: string }).code } : {}) };
    }
    this.#publishAside(topic, JSON.stringify(state), true);
  }

  async #setRecipients(modem: string, payload: Buffer): Promise<void> {
    const value = payload.toString().trim();
    const numbers = parseRecipients(value);
    if (!numbers) {
      this.#d.log.warn({ modem }, 'Home Assistant set SMS recipients that are not all phone numbers: ignored');
      // The entity shows what is stored again, not what was refused.
      this.#publishAside(this.#d.topics.ha(modem).recipients, this.recipients(modem).join(', '), true);
      return;
    }
    // Stored before the broker hears of it: the agent's copy survives a broker without persistence.
    this.#d.store.run(
      'INSERT INTO ha_recipients (modem, recipients, updated_ms) VALUES (?, ?, ?) ON CONFLICT (modem) DO UPDATE SET recipients = excluded.recipients, updated_ms = excluded.updated_ms',
      modem, JSON.stringify(numbers), this.#d.now(),
    );
    this.#publishAside(this.#d.topics.ha(modem).recipients, numbers.join(', '), true);
  }

  /**
   * Sends the notification to each recipient on this modem, queued durably before the broker gets its
   * PUBACK. Whatever cannot be queued (no recipient, a refused number or text) is a `failed` event
   * saying why: Home Assistant hears of every send, not only of the ones that went out.
   */
  async #notify(modem: string, recipients: string[], payload: Buffer, noRecipient: string): Promise<void> {
    const event = this.#d.topics.ha(modem).event;
    const failed = (number: string, text: string | null, reason: string) =>
      this.#publishAside(event, JSON.stringify({ event_type: 'failed', number, text, modem, time: new Date(this.#d.now()).toISOString(), message_id: null, reason } satisfies HaEvent));
    if (!isUtf8(payload)) return failed(recipients.join(', '), null, 'the notification is not valid UTF-8');
    const text = payload.toString();
    if (recipients.length === 0) return failed('', text, noRecipient);
    const sms = this.#d.sms();
    for (const to of recipients) {
      try {
        if (!sms) throw new Error('no modem plugin is running');
        sms.send({ to, text, modem, clientRef: 'homeassistant' });
      } catch (error) {
        failed(to, text, error instanceof Error ? error.message : String(error));
      }
    }
  }

  /** The retained state every sensor of a modem reads. */
  stateOf(status: ModemStatus, details: ModemDetails | undefined): Record<string, unknown> {
    const b = status.balance;
    return {
      modem: status.id,
      state: status.state,
      reason: status.reason,
      signalDbm: status.signalDbm,
      registration: status.registration,
      networkType: details?.networkType ?? null,
      operator: status.operator,
      simStorageUsed: details?.simStorage?.used ?? null,
      simStorageTotal: details?.simStorage?.total ?? null,
      queued: details?.queued ?? null,
      sentToday: details?.sentToday ?? null,
      failedToday: details?.failedToday ?? null,
      balance: b?.amount ?? null,
      balanceDetails: b ? { currency: b.currency, checkedAt: b.checkedAt, low: b.low, answer: clip(b.answer), ...(b.lastError ? { lastError: b.lastError.message, lastErrorAt: b.lastError.at } : {}) } : {},
    };
  }
}
