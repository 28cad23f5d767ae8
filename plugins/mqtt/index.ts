import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { publicEvent, type AnyEvent } from '../../core/events.ts';
import { definePlugin, type PluginHealth } from '../../core/plugin.ts';
import { redactUrl, registerSecret } from '../../core/redact.ts';
import { modemState, pageUrl } from './discovery.ts';
import { haMigrations, HomeAssistant } from './homeassistant.ts';
import { mqttOptions, type MqttOptions } from './options.ts';
import { SendDedup } from './dedup.ts';
import { answer, answerSend, callbackUrlOf, refusedAnswer, responseTopicAllowed, responseTopicRefusal, type Response } from './requests.ts';
import { sharedTopic, topicsFor } from './topics.ts';

export { mqttOptions, type MqttOptions } from './options.ts';
export { topicsFor, type Topics } from './topics.ts';

/**
 * The event payload: the Standard Webhooks body `{ type, timestamp, data }` plus the event id. As
 * every event leaving the agent, without a sent message's callbackUrl (publicEvent).
 */
export function eventPayload(event: AnyEvent): string {
  const shown = publicEvent(event);
  return JSON.stringify({ id: shown.id, type: shown.type, timestamp: shown.timestamp, data: shown.data });
}

function readPem(option: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`tls.${option}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Resolves with `promise`, or rejects after `ms` of real time (a bound on network waits at shutdown). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves at the client's next successful connect; rejects when `signal` aborts. */
function connected(client: MqttClient, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connected) return resolve();
    const onConnect = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      client.off('connect', onConnect);
      reject(signal.reason);
    };
    client.once('connect', onConnect);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Events to MQTT, request/response for sending SMS and USSD, fleets through shared subscriptions,
 * and Home Assistant discovery. Topics and payloads: docs/mqtt.md.
 *
 * @example
 * mqtt({ url: 'mqtts://broker.lan:8883', group: 'sms-fleet', homeAssistant: {} })
 * // credentials: SMSEDGE_MQTT_USERNAME / SMSEDGE_MQTT_PASSWORD
 */
export const mqtt = definePlugin({
  name: 'mqtt',
  // When a modem plugin is configured, its `sms` service exists before requests are taken.
  after: ['modem'],
  options: mqttOptions,
  setup(ctx) {
    const o: MqttOptions = ctx.options;
    const topics = topicsFor(o.baseTopic, ctx.agentId);
    const v5 = o.protocolVersion === 5;
    const password = process.env.SMSEDGE_MQTT_PASSWORD || undefined;
    registerSecret(password);
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? `smsedge-${ctx.agentId}`,
      username: o.username ?? (process.env.SMSEDGE_MQTT_USERNAME || undefined),
      password,
      protocolVersion: o.protocolVersion,
      // A persistent session: the broker keeps the QoS 1 subscriptions and what is published to them while
      // the agent is away (a send request, a notification from Home Assistant) and hands it over at connect.
      clean: o.sessionExpirySeconds === 0,
      ...(v5 && o.sessionExpirySeconds > 0 ? { properties: { sessionExpiryInterval: o.sessionExpirySeconds } } : {}),
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: o.reconnectPeriodMs,
      connectTimeout: o.connectTimeoutMs,
      // Subscriptions are made again on every connect (below), so mqtt.js need not repeat them.
      resubscribe: false,
      // The broker publishes this if the agent vanishes without a DISCONNECT (crash, power, network).
      will: { topic: topics.state, payload: Buffer.from('offline'), qos: 1, retain: true },
      ca: readPem('ca', o.tls?.ca),
      cert: readPem('cert', o.tls?.cert),
      key: readPem('key', o.tls?.key),
      rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
      // mqtt-packet's number cache is 65,536 two-byte Buffers (6.5 MB of heap, 65k more objects for
      // every full GC to mark) built on the first packet: worth it for a broker's fan-out, not for a
      // few publishes a second.
      writeCache: false,
    };
    const broker = redactUrl(o.url);
    const stopping = new AbortController();
    const background = new Set<Promise<unknown>>();
    const stats = { published: 0, requests: 0, connects: 0, repeats: 0 };
    // A send repeated with its transaction (the answer was lost) is answered again, not queued again.
    const sends = new SendDedup(ctx.store, ctx.clock);
    const sendOnce = (scope: 'send' | 'fleet', payload: Buffer): Response => {
      let handled = false;
      const response = sends.once(scope, payload, () => {
        handled = true;
        return answerSend(payload, { agentId: ctx.agentId, sms: ctx.tryUse('sms') });
      });
      if (!handled) stats.repeats++;
      return response;
    };
    let client: MqttClient | undefined;
    let subscription: { lag(): number; stop(): Promise<void> } | undefined;
    let lastError: string | undefined;
    if (o.homeAssistant) ctx.store.migrate('homeassistant', haMigrations);
    const ha = o.homeAssistant
      ? new HomeAssistant(o.homeAssistant, {
          agentId: ctx.agentId,
          topics,
          store: ctx.store,
          log: ctx.log,
          now: () => ctx.clock.now(),
          sms: () => ctx.tryUse('sms'),
          publish: async (topic, payload, retain) => {
            if (!client?.connected) throw new Error('not connected to the MQTT broker');
            await client.publishAsync(topic, payload, { qos: 1, retain });
          },
          connected: () => connected(client!, stopping.signal),
          isConnected: () => client?.connected ?? false,
          apiUrl: () => pageUrl(((ctx.tryUse as (name: string) => unknown)('api') as { urls?: () => string[] } | undefined)?.urls?.() ?? []),
        })
      : undefined;

    const track = (p: Promise<unknown>) => {
      const tracked = p.catch((error) => ctx.log.warn({ err: error }, 'mqtt background task failed')).finally(() => background.delete(tracked));
      background.add(tracked);
    };

    /** Fire-and-forget QoS 1 publish while connected; failures are logged, never thrown. */
    function publish(topic: string, payload: string, retain = false, properties?: IPublishPacket['properties']): void {
      if (!client?.connected) return;
      track(client.publishAsync(topic, payload, { qos: 1, retain, properties }));
    }

    function respond(defaultTopic: string, response: Response, request: IPublishPacket): void {
      // MQTT 5 request/response (3.1.16.x Response Topic, Correlation Data) wins over the default
      // topic, but only under the agent's own response topics (requests.ts).
      const responseTopic = v5 ? request.properties?.responseTopic : undefined;
      const correlationData = v5 ? request.properties?.correlationData : undefined;
      const topic = responseTopic !== undefined && responseTopicAllowed(responseTopic, defaultTopic) ? responseTopic : defaultTopic;
      publish(topic, JSON.stringify(response), false, correlationData ? { correlationData } : undefined);
    }

    /**
     * Checks a send's callbackUrl by the webhook plugin's rules when the request is accepted, as the
     * REST API does (docs/security.md); answers the refusal and returns true when it is refused.
     */
    async function refusedCallback(defaultTopic: string, packet: IPublishPacket, payload: Buffer): Promise<boolean> {
      const url = callbackUrlOf(payload);
      const webhooks = url === undefined ? undefined : ((ctx.tryUse as (name: string) => unknown)('webhook') as { checkCallbackUrl(url: string, field?: string): Promise<void> } | undefined);
      if (!webhooks) return false;
      try {
        await webhooks.checkCallbackUrl(url!, 'callbackUrl');
        return false;
      } catch (error) {
        respond(defaultTopic, refusedAnswer(payload, error, ctx.agentId), packet);
        return true;
      }
    }

    /** Answers a request with a refused Response Topic on the default topic; true when it did. */
    function refusedTopic(defaultTopic: string, packet: IPublishPacket, payload: Buffer): boolean {
      const refusal = responseTopicRefusal(v5 ? packet.properties?.responseTopic : undefined, defaultTopic, payload, ctx.agentId);
      if (!refusal) return false;
      ctx.log.warn({ topic: packet.topic }, 'MQTT request with a response topic outside the agent\'s own: refused');
      respond(defaultTopic, refusal, packet);
      return true;
    }

    async function publishStatus(): Promise<void> {
      if (!client?.connected) return;
      try {
        publish(topics.health, JSON.stringify(await ctx.health()), true);
      } catch (error) {
        ctx.log.warn({ err: error }, 'could not read health for MQTT');
      }
      if (ha) {
        publish(topics.modem, JSON.stringify(modemState(ctx.tryUse('sms')?.modems())), true);
        await ha.publishState().catch((error) => ctx.log.warn({ err: error }, 'could not publish Home Assistant state'));
      }
    }

    async function onConnect(): Promise<void> {
      stats.connects++;
      lastError = undefined;
      ctx.log.info({ broker }, 'connected to MQTT broker');
      const c = client!;
      publish(topics.state, 'online', true);
      const subs: Record<string, { qos: 1 }> = {};
      if (o.requests) {
        subs[topics.requests] = { qos: 1 };
        if (o.group) subs[sharedTopic(o.group, topics.fleetRequest)] = { qos: 1 };
      }
      if (ha) for (const t of ha.subscriptions) subs[t] = { qos: 1 };
      if (Object.keys(subs).length) {
        const granted = await c.subscribeAsync(subs);
        const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length) ctx.log.error({ topics: refused }, 'broker refused MQTT subscriptions');
      }
      if (ha) await ha.publishState(true).catch((error) => ctx.log.warn({ err: error }, 'could not publish Home Assistant discovery'));
      await publishStatus();
    }

    async function onMessage(packet: IPublishPacket): Promise<void> {
      const topic = packet.topic;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      if (topic === topics.fleetRequest) {
        stats.requests++;
        if (refusedTopic(topics.fleetResponse, packet, payload) || (await refusedCallback(topics.fleetResponse, packet, payload))) return;
        respond(topics.fleetResponse, sendOnce('fleet', payload), packet);
        return;
      }
      const requestPrefix = topics.request('');
      if (topic.startsWith(requestPrefix)) {
        stats.requests++;
        const kind = topic.slice(requestPrefix.length);
        if (refusedTopic(topics.response(kind), packet, payload)) return;
        if (kind === 'send' && (await refusedCallback(topics.response(kind), packet, payload))) return;
        const run = async () =>
          respond(topics.response(kind), kind === 'send' ? sendOnce('send', payload) : await answer(kind, payload, { agentId: ctx.agentId, sms: ctx.tryUse('sms') }), packet);
        // A send is enqueued durably before the broker gets its PUBACK; a USSD session can take
        // seconds on the network, so it runs aside instead of holding up the messages behind it.
        if (kind === 'ussd') track(run());
        else await run();
        return;
      }
      if (ha?.handles(topic)) {
        stats.requests++;
        await ha.onMessage(topic, payload);
      }
    }

    return {
      async start() {
        // mqtt.js is loaded here, not at import: agent.config.ts imports this plugin whether or not a
        // broker is configured, and an agent without one need not hold mqtt.js (~3 MB resident).
        const { connect } = await import('mqtt');
        const c = connect(o.url, clientOptions);
        client = c;
        c.on('connect', () => void onConnect().catch((error) => ctx.log.error({ err: error }, 'MQTT connect handling failed')));
        c.on('error', (error) => {
          if (error.message !== lastError) ctx.log.warn({ err: error, broker }, 'MQTT error');
          lastError = error.message;
        });
        c.on('offline', () => ctx.log.warn({ broker }, 'MQTT broker unreachable; events wait in the journal'));
        // PUBACK for a request goes out only after handleMessage calls back: after the send is enqueued.
        c.handleMessage = (packet, done) => {
          onMessage(packet)
            .catch((error) => ctx.log.error({ err: error, topic: packet.topic }, 'MQTT message handling failed'))
            .finally(() => done());
        };
        if (ha) {
          ha.start(ctx);
          // The sensors follow what changes them, besides the health interval.
          for (const type of ['modem.online', 'modem.offline', 'sms.sent', 'sms.failed', 'sms.received', 'sim.balance'] as const) ctx.events.on(type, () => void publishStatus());
        }
        subscription = ctx.events.subscribe(
          ctx.name,
          async (event) => {
            // QoS 1: resolves on PUBACK. While the broker is away mqtt.js holds the packet and sends
            // it on reconnect, so the journal's cursor waits here and order is kept.
            for (;;) {
              try {
                await c.publishAsync(topics.event(event.type), eventPayload(event), {
                  qos: 1,
                  properties: v5 ? { contentType: 'application/json' } : undefined,
                });
                stats.published++;
                return;
              } catch (error) {
                // Refused by a connected broker (PUBACK reason code >= 0x80): the journal retries
                // under backoff. Dropped with the connection: send again as soon as it is back.
                if (c.connected || stopping.signal.aborted) throw error;
                await connected(c, stopping.signal);
              }
            }
          },
          { types: o.types, filter: o.filter, backoff: (attempt) => Math.min(30_000, 1000 * 2 ** (attempt - 1)) },
        );
        track(
          (async () => {
            while (!stopping.signal.aborted) {
              await ctx.clock.sleep(o.healthIntervalMs, stopping.signal).catch(() => {});
              if (!stopping.signal.aborted) await publishStatus();
            }
          })(),
        );
      },
      async stop() {
        stopping.abort();
        await subscription?.stop();
        await ha?.stop();
        const c = client;
        if (c) {
          if (c.connected) await within(c.publishAsync(topics.state, 'offline', { qos: 1, retain: true }), 2000).catch(() => {});
          await within(c.endAsync(!c.connected), 2000).catch(() => c.end(true));
        }
        await within(Promise.allSettled([...background]), 2000).catch(() => {});
      },
      health(): PluginHealth {
        const connected = client?.connected ?? false;
        return {
          status: connected ? 'pass' : 'warn',
          connected,
          broker,
          ...stats,
          lag: subscription?.lag() ?? 0,
          ...(ha ? { homeAssistantLag: ha.lag() } : {}),
          ...(lastError ? { lastError } : {}),
        };
      },
    };
  },
});

export default mqtt;
