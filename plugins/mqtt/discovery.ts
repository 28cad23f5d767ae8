import { maskPhone } from '../../core/redact.ts';
import type { SmsReceived } from '../../core/events.ts';
import type { ModemStatus } from '../../core/services.ts';
import { version } from '../../core/version.ts';
import type { Topics } from './topics.ts';

/** One retained discovery message: `<prefix>/<component>/<node>/<object>/config`. */
export interface DiscoveryMessage {
  topic: string;
  config: Record<string, unknown>;
}

/** A modem as its Home Assistant device shows it. */
export interface DiscoveredModem {
  id: string;
  imei: string | null;
  manufacturer: string | null;
  model: string | null;
  /** The balance's currency, when a reading named one (the balance sensor's unit). */
  currency: string | null;
  /** Whether the modem has a `balance` option (the balance sensor and button). */
  balance: boolean;
}

export interface DiscoveryInput {
  prefix: string;
  agentId: string;
  topics: Topics;
  modems: DiscoveredModem[];
  /** `homeAssistant.contacts`: one notify entity per contact on each modem. */
  contacts: Record<string, string>;
  configurationUrl?: string;
}

/** The event entity's event types (Home Assistant needs the list up front). */
export const haEventTypes = ['received', 'sent', 'delivered', 'failed'] as const;

/** Home Assistant keeps a state to 255 characters. */
export const maxState = 255;

/** What publishes these configs (Home Assistant logs it; `origin`, abbreviated `o`). */
export const origin = { name: 'smsedge', sw_version: version };

/**
 * An entity id's object part: lower-case letters and digits joined by single `_` (Home Assistant
 * refuses `__` and a leading or trailing `_`, which ids such as `pi.` or `usb-_1` would give).
 */
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

export const nodeOf = (agentId: string) => `smsedge_${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * Home Assistant MQTT discovery (one retained config per entity, QoS 1): a device for the agent, and a
 * device per modem linked to it (`via_device`), identified by the modem id and, once known, its IMEI.
 * Per modem: a notify entity per contact and one for the recipients in its text entity, an event
 * entity for received / sent / delivered / failed messages, sensors, a connectivity binary sensor,
 * the balance sensor and button, and USSD as a text entity with a sensor for the answer. Commands
 * are asked for at QoS 1 so that the broker keeps them for the agent while it is away. Every entity
 * is unavailable while the agent's state topic says `offline` (the agent's own connectivity sensor
 * excepted: it shows that).
 */
export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  const { prefix, agentId, topics } = input;
  const node = nodeOf(agentId);
  const url = input.configurationUrl ? { configuration_url: input.configurationUrl } : {};
  const agentDevice = { identifiers: [node], name: `smsedge ${agentId}`, manufacturer: 'smsedge', model: 'SMS gateway', sw_version: version, ...url };
  const availability = [{ topic: topics.state, payload_available: 'online', payload_not_available: 'offline' }];
  const out: DiscoveryMessage[] = [];
  const entity = (component: string, object: string, device: Record<string, unknown>, config: Record<string, unknown>, available = true) => {
    const id = `${node}_${object}`;
    out.push({
      topic: `${prefix}/${component}/${node}/${object}/config`,
      config: { device, origin, unique_id: id, default_entity_id: `${component}.${slug(id)}`, ...(available ? { availability } : {}), ...config },
    });
  };

  // The agent's device needs an entity of its own to exist (and to be a via_device): whether it is up.
  entity('binary_sensor', 'agent', agentDevice, {
    name: 'Agent',
    state_topic: topics.state,
    payload_on: 'online',
    payload_off: 'offline',
    device_class: 'connectivity',
    entity_category: 'diagnostic',
  }, false);

  for (const m of input.modems) {
    const t = topics.ha(m.id);
    const device: Record<string, unknown> = {
      identifiers: [`${node}_${m.id}`, ...(m.imei ? [`imei_${m.imei}`] : [])],
      name: `smsedge ${agentId} ${m.id}`,
      manufacturer: m.manufacturer ?? 'unknown',
      model: m.model ?? 'GSM modem',
      ...(m.imei ? { serial_number: m.imei } : {}),
      via_device: node,
      ...url,
    };
    const o = (object: string) => `${m.id}_${object}`;
    const sensor = (object: string, config: Record<string, unknown>) => entity('sensor', o(object), device, { state_topic: t.state, ...config });

    for (const contact of Object.keys(input.contacts).sort()) {
      entity('notify', o(`sms_${contact}`), device, { name: `SMS to ${contact}`, command_topic: t.notify(contact), qos: 1, retain: false, icon: 'mdi:message-arrow-right' });
    }
    entity('notify', o('sms'), device, { name: 'SMS to recipients', command_topic: t.notify(), qos: 1, retain: false, icon: 'mdi:message-arrow-right' });
    entity('text', o('recipients'), device, {
      name: 'SMS recipients',
      command_topic: t.recipientsSet,
      state_topic: t.recipients,
      qos: 1,
      retain: false,
      mode: 'text',
      min: 0,
      max: maxState,
      // Numbers separated by commas, semicolons or spaces; empty clears them.
      pattern: '^(\\+?[0-9]{3,20}([ ,;]+\\+?[0-9]{3,20})*)?$',
      icon: 'mdi:card-account-phone',
    });
    entity('event', o('messages'), device, {
      name: 'Messages',
      state_topic: t.event,
      event_types: [...haEventTypes],
      qos: 1,
      icon: 'mdi:message-text',
    });
    sensor('last_sms', { name: 'Last SMS', state_topic: t.lastSms, value_template: '{{ value_json.text }}', json_attributes_topic: t.lastSms, icon: 'mdi:message-text' });
    entity('binary_sensor', o('connected'), device, {
      name: 'Connected',
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
      device_class: 'connectivity',
      json_attributes_topic: t.state,
      json_attributes_template: '{{ {"state": value_json.state, "reason": value_json.reason} | tojson }}',
    });
    sensor('signal', { name: 'Signal', value_template: '{{ value_json.signalDbm }}', unit_of_measurement: 'dBm', device_class: 'signal_strength', state_class: 'measurement', entity_category: 'diagnostic' });
    sensor('registration', { name: 'Registration', value_template: '{{ value_json.registration }}', icon: 'mdi:antenna', entity_category: 'diagnostic' });
    sensor('network_type', { name: 'Network type', value_template: '{{ value_json.networkType }}', icon: 'mdi:signal-4g', entity_category: 'diagnostic' });
    sensor('operator', { name: 'Operator', value_template: '{{ value_json.operator }}', icon: 'mdi:radio-tower' });
    sensor('sim_storage', {
      name: 'SIM storage used',
      value_template: '{{ value_json.simStorageUsed }}',
      unit_of_measurement: 'messages',
      state_class: 'measurement',
      icon: 'mdi:sim',
      entity_category: 'diagnostic',
    });
    sensor('queue', { name: 'Outbound queue', value_template: '{{ value_json.queued }}', unit_of_measurement: 'messages', state_class: 'measurement', icon: 'mdi:tray-full' });
    sensor('sent_today', { name: 'Sent today', value_template: '{{ value_json.sentToday }}', unit_of_measurement: 'messages', state_class: 'total_increasing', icon: 'mdi:message-check' });
    sensor('failed_today', { name: 'Failed today', value_template: '{{ value_json.failedToday }}', unit_of_measurement: 'messages', state_class: 'total_increasing', icon: 'mdi:message-alert' });
    if (m.balance) {
      // Home Assistant's monetary class takes an ISO 4217 unit and state_class total: only when the reading named one.
      const money = m.currency && /^[A-Z]{3}$/.test(m.currency) ? { unit_of_measurement: m.currency, device_class: 'monetary', state_class: 'total' } : { icon: 'mdi:cash' };
      sensor('balance', { name: 'Balance', value_template: '{{ value_json.balance }}', json_attributes_topic: t.state, json_attributes_template: '{{ value_json.balanceDetails | tojson }}', ...money });
      entity('button', o('balance_refresh'), device, { name: 'Refresh balance', command_topic: t.balanceRefresh, payload_press: 'PRESS', qos: 1, retain: false, icon: 'mdi:cash-refresh' });
    }
    entity('text', o('ussd'), device, {
      name: 'USSD code',
      command_topic: t.ussdSet,
      state_topic: t.ussd,
      value_template: '{{ value_json.code }}',
      qos: 1,
      retain: false,
      mode: 'text',
      min: 0,
      max: 182,
      pattern: '^[0-9*#+]*$',
      icon: 'mdi:dialpad',
    });
    sensor('ussd_answer', {
      name: 'USSD answer',
      state_topic: t.ussd,
      value_template: '{{ value_json.answer }}',
      json_attributes_topic: t.ussd,
      icon: 'mdi:message-reply-text',
    });
  }
  return out;
}

/**
 * The configs of the earlier single-device layout (entities on the agent's device), published empty so
 * Home Assistant removes them instead of leaving them unavailable.
 */
export function formerConfigTopics(prefix: string, agentId: string): string[] {
  const node = nodeOf(agentId);
  return ['sensor/signal', 'sensor/registration', 'sensor/operator', 'sensor/last_sms', 'text/sms_recipient', 'notify/send_sms'].map((x) => {
    const [component, object] = x.split('/');
    return `${prefix}/${component}/${node}/${object}/config`;
  });
}

/** The retained modem state the earlier single-modem layout read: the first online modem's. */
export function modemState(modems: ModemStatus[] | undefined): Record<string, unknown> {
  const m = modems?.find((x) => x.state === 'online') ?? modems?.[0];
  return {
    modem: m?.id ?? null,
    state: m?.state ?? 'absent',
    signalDbm: m?.signalDbm ?? null,
    registration: m?.registration ?? null,
    operator: m?.operator ?? null,
  };
}

/**
 * The operator page's address for the devices' `configuration_url`: the API's first address that
 * another machine can open (an API on 0.0.0.0 lists the loopback address first, which would open the
 * Home Assistant user's own computer), else its first address.
 *
 * @example
 * pageUrl(['http://127.0.0.1:8080', 'http://192.168.1.5:8080']) // → 'http://192.168.1.5:8080'
 */
export function pageUrl(urls: string[]): string | undefined {
  const loopback = (url: string) => /^https?:\/\/(127\.[\d.]+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(url);
  return urls.find((u) => !loopback(u)) ?? urls[0];
}

/** Cut to what Home Assistant keeps of a state. */
export const clip = (text: string) => (text.length > maxState ? `${text.slice(0, maxState - 1)}…` : text);

/** The last SMS sensor's state: its text (cut to what HA keeps) and attributes. */
export function lastSmsState(sms: SmsReceived, eventId: string, showSender: boolean): Record<string, unknown> {
  const text = sms.text ?? (sms.data !== undefined ? `[${sms.encoding} data, ${sms.data.length / 2} bytes]` : '');
  return {
    text: clip(text),
    from: showSender ? sms.from : maskPhone(sms.from),
    receivedAt: sms.receivedAt,
    messageId: sms.messageId,
    eventId,
    modem: sms.modem,
  };
}
