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

/** Home Assistant keeps a sensor's state to 255 characters. */
const maxState = 255;

/**
 * Home Assistant MQTT discovery: sensors for signal, registration, operator and the last SMS
 * received, and a way to send an SMS (a `text` entity holding the recipient and a `notify` entity
 * whose message is sent to it). Every entity is unavailable while the agent's state topic says
 * `offline`.
 */
export function discoveryMessages(prefix: string, agentId: string, topics: Topics): DiscoveryMessage[] {
  const node = `smsedge_${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const device = { identifiers: [node], name: `smsedge ${agentId}`, manufacturer: 'smsedge', model: 'SMS gateway', sw_version: version };
  const common = {
    device,
    availability: [{ topic: topics.state, payload_available: 'online', payload_not_available: 'offline' }],
  };
  const entity = (component: string, object: string, config: Record<string, unknown>): DiscoveryMessage => ({
    topic: `${prefix}/${component}/${node}/${object}/config`,
    config: { ...common, unique_id: `${node}_${object}`, object_id: `${node}_${object}`, ...config },
  });
  return [
    entity('sensor', 'signal', {
      name: 'Signal',
      state_topic: topics.modem,
      value_template: '{{ value_json.signalDbm }}',
      unit_of_measurement: 'dBm',
      device_class: 'signal_strength',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    }),
    entity('sensor', 'registration', {
      name: 'Registration',
      state_topic: topics.modem,
      value_template: '{{ value_json.registration }}',
      icon: 'mdi:antenna',
      entity_category: 'diagnostic',
    }),
    entity('sensor', 'operator', {
      name: 'Operator',
      state_topic: topics.modem,
      value_template: '{{ value_json.operator }}',
      icon: 'mdi:radio-tower',
    }),
    entity('sensor', 'last_sms', {
      name: 'Last SMS',
      state_topic: topics.lastSms,
      value_template: '{{ value_json.text }}',
      json_attributes_topic: topics.lastSms,
      icon: 'mdi:message-text',
    }),
    entity('text', 'sms_recipient', {
      name: 'SMS recipient',
      command_topic: topics.haRecipientSet,
      state_topic: topics.haRecipient,
      mode: 'text',
      pattern: '^\\+?[0-9]{3,20}$',
      icon: 'mdi:card-account-phone',
    }),
    entity('notify', 'send_sms', {
      name: 'Send SMS',
      command_topic: topics.haNotify,
      icon: 'mdi:message-arrow-right',
    }),
  ];
}

/** The retained modem state the sensors read: the first modem's, or nulls when there is none. */
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

/** The last SMS sensor's state: its text (cut to what HA keeps) and attributes. */
export function lastSmsState(sms: SmsReceived, eventId: string, showSender: boolean): Record<string, unknown> {
  const text = sms.text ?? (sms.data !== undefined ? `[${sms.encoding} data, ${sms.data.length / 2} bytes]` : '');
  return {
    text: text.length > maxState ? `${text.slice(0, maxState - 1)}…` : text,
    from: showSender ? sms.from : maskPhone(sms.from),
    receivedAt: sms.receivedAt,
    messageId: sms.messageId,
    eventId,
    modem: sms.modem,
  };
}
