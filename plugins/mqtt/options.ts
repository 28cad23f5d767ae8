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
      /** Show the last SMS's sender in full; masked (`+155****0100`) by default. */
      showSender: v.optional(v.boolean(), false),
    }),
  ),
});

export type MqttOptions = v.InferOutput<typeof mqttOptions>;
