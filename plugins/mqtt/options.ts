import * as v from 'valibot';
import { eventTypes, type AnyEvent, type EventType } from '../../core/events.ts';

/** A topic level or prefix we publish under: no wildcards, no `$` system prefix, no empty levels. */
const topicPrefix = v.pipe(
  v.string(),
  v.regex(/^[^/#+$\0][^#+\0]*$/, 'no MQTT wildcards (+ #), no leading $ or /'),
  v.check((s) => !s.endsWith('/') && !s.includes('//'), 'no empty topic levels'),
);

export const mqttOptions = v.strictObject({
  /** `mqtt://host:1883`, `mqtts://host:8883` (also `ws://`, `wss://`). */
  url: v.pipe(v.string(), v.regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL')),
  /** Default `smsedge-<agentId>`: unique per agent, as brokers require. */
  clientId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
  /** Default: `SMSEDGE_MQTT_USERNAME`. The password comes only from `SMSEDGE_MQTT_PASSWORD`. */
  username: v.optional(v.string()),
  baseTopic: v.optional(topicPrefix, 'smsedge'),
  /** 5 (MQTT 5.0, the default) or 4 (MQTT 3.1.1). */
  protocolVersion: v.optional(v.picklist([4, 5]), 5),
  tls: v.optional(
    v.strictObject({
      /** Paths to PEM files. */
      ca: v.optional(v.string()),
      cert: v.optional(v.string()),
      key: v.optional(v.string()),
      rejectUnauthorized: v.optional(v.boolean(), true),
    }),
  ),
  keepaliveSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 30),
  reconnectPeriodMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(10)), 5000),
  connectTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 30_000),
  /**
   * The broker keeps the agent's session (its subscriptions and the QoS 1 messages for them) this long
   * while it is away, so a request or a Home Assistant notification published meanwhile is carried out
   * when it is back: MQTT 5 Session Expiry Interval; on 3.1.1 the session is kept (clean session off)
   * for as long as the broker keeps sessions. 0: a clean session at every connect (nothing kept).
   */
  sessionExpirySeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff)), 7 * 86_400),
  /** How often the retained health (and Home Assistant modem state) is refreshed. */
  healthIntervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 60_000),
  /** Event types published; others are skipped. Default: all. */
  types: v.optional(v.array(v.picklist(eventTypes as EventType[]))),
  filter: v.optional(v.custom<(event: AnyEvent) => boolean>((f) => typeof f === 'function', 'a function (event) => boolean')),
  /** Answer `request/send` and `request/ussd`. */
  requests: v.optional(v.boolean(), true),
  /** Fleet group: also take send jobs from `$share/<group>/<base>/fleet/request/send`. */
  group: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (max 64)'))),
  /** Home Assistant MQTT discovery; present (even `{}`) to enable. */
  homeAssistant: v.optional(
    v.strictObject({
      discoveryPrefix: v.optional(topicPrefix, 'homeassistant'),
      /** Show the last SMS sensor's sender in full; masked (`+155****0100`) by default. The event entity always has the full number. */
      showSender: v.optional(v.boolean(), false),
      /** One notify entity per contact and modem: `{ alice: '+4915123456789' }`. */
      contacts: v.optional(
        v.record(
          v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,31}$/, 'contact names are lower-case letters, digits and _ (e.g. alice), starting with a letter')),
          v.pipe(v.string(), v.regex(/^\+?[0-9]{3,20}$/, 'a phone number: digits with an optional leading + (e.g. +4915123456789)')),
        ),
        {},
      ),
      /** The operator page's address for the devices' "Visit" link (`http(s)://` or `homeassistant://`); default: the API's first address. */
      configurationUrl: v.optional(v.pipe(v.string(), v.regex(/^(https?|homeassistant):\/\/\S+$/, 'an http://, https:// or homeassistant:// URL'))),
    }),
  ),
});

export type MqttOptions = v.InferOutput<typeof mqttOptions>;
