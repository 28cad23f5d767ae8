// GET /events: the agent's events and a periodic status snapshot as server-sent events, for the
// operator page (and any client that can send the key in a header). GET /modems/signal-history: the
// signal samples behind the page's chart, kept in memory.
import * as v from 'valibot';
import type { Clock } from '../../../core/clock.ts';
import { publicEvent, type AnyEvent } from '../../../core/events.ts';
import type { AgentHealth, PluginEvents } from '../../../core/plugin.ts';
import type { ModemStatus, SmsService } from '../../../core/services.ts';
import type { ApiService, RouteDef } from '../service.ts';
import { webhookBacklog } from './health.ts';
import type { EventStream } from 'h3';

export interface EventRoutesDeps {
  api: Pick<ApiService, 'sse'>;
  events: Pick<PluginEvents, 'on'>;
  clock: Clock;
  /** Aborted when the API stops: ends the sampling loop. */
  signal: AbortSignal;
  health: () => Promise<AgentHealth>;
  sms: () => SmsService | undefined;
  /** How often the status is sampled and pushed (default 5 s). */
  intervalMs?: number;
  /** A signal sample is kept at least this often even when unchanged (default 60 s). */
  historyEveryMs?: number;
  /** Samples kept per modem (default 1440: a day at one a minute). */
  historySize?: number;
}

/** What the page shows in its modem and queue panels; the same fields as GET /health's details. */
export interface StatusSnapshot {
  at: string;
  status: AgentHealth['status'];
  uptimeSeconds: number;
  modems: ModemStatus[];
  queue: { outbound: number };
  webhookBacklog: number;
  journal: AgentHealth['journal'];
  plugins: Record<string, string>;
  /** Delivery counts from the webhook plugin's health, when it runs. */
  webhook: { backlog: number; held: number; failed: number; delivered: number } | null;
}

export interface SignalSample {
  at: string;
  dbm: number | null;
}

/**
 * The fields of an event the stream carries: ids, states and reasons, never a phone number, a text or
 * a callback URL (a client that wants those asks the message routes, which log and limit like every
 * other route).
 */
const SAFE_FIELDS = ['messageId', 'modem', 'parts', 'status', 'statusText', 'state', 'stage', 'reason', 'code', 'operator', 'signalDbm', 'webhookId', 'ttlSeconds', 'incomplete'] as const;

export function streamEvent(event: AnyEvent): { id: string; type: string; timestamp: string; data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  // The allow-list alone would drop callbackUrl; publicEvent first keeps that true if the list grows.
  const source = publicEvent(event).data as unknown as Record<string, unknown>;
  for (const key of SAFE_FIELDS) if (source[key] !== undefined) data[key] = source[key];
  return { id: event.id, type: event.type, timestamp: event.timestamp, data };
}

function snapshot(health: AgentHealth, sms: SmsService | undefined, now: number): StatusSnapshot {
  const webhook = health.plugins.webhook as { backlog?: unknown; held?: unknown; failed?: unknown; delivered?: unknown } | undefined;
  const num = (x: unknown) => (typeof x === 'number' ? x : 0);
  return {
    at: new Date(now).toISOString(),
    status: health.status,
    uptimeSeconds: health.uptimeSeconds,
    modems: sms?.modems() ?? [],
    queue: { outbound: sms?.stats().outboundQueued ?? 0 },
    webhookBacklog: webhookBacklog(health),
    journal: health.journal,
    plugins: Object.fromEntries(Object.entries(health.plugins).map(([name, h]) => [name, h.status])),
    webhook: webhook && typeof webhook.backlog === 'number'
      ? { backlog: num(webhook.backlog), held: num(webhook.held), failed: num(webhook.failed), delivered: num(webhook.delivered) }
      : null,
  };
}

/**
 * Mounts nothing by itself: returns the route definitions and starts sampling on `deps.clock` until
 * `deps.signal` aborts. Subscribers get `event: status` (a StatusSnapshot) on connect and every
 * interval, and `event: agent` (streamEvent) for every committed event.
 *
 * @example
 * for (const def of eventRoutes({ api, events: ctx.events, clock: ctx.clock, signal: ctx.signal, health: ctx.health, sms })) api.route(def);
 */
export function eventRoutes(deps: EventRoutesDeps): RouteDef[] {
  const intervalMs = deps.intervalMs ?? 5000;
  const historyEveryMs = deps.historyEveryMs ?? 60_000;
  const historySize = deps.historySize ?? 1440;
  const clients = new Set<EventStream>();
  const history = new Map<string, SignalSample[]>();

  const record = (modem: string, dbm: number | null, now: number) => {
    let list = history.get(modem);
    if (!list) history.set(modem, (list = []));
    const last = list.at(-1);
    if (last && last.dbm === dbm && now - Date.parse(last.at) < historyEveryMs) return;
    list.push({ at: new Date(now).toISOString(), dbm });
    if (list.length > historySize) list.splice(0, list.length - historySize);
  };
  const sample = () => {
    const now = deps.clock.now();
    for (const m of deps.sms()?.modems() ?? []) if (m.state !== 'starting') record(m.id, m.state === 'online' ? m.signalDbm : null, now);
  };
  const push = (stream: EventStream, event: string, data: unknown, id?: string) =>
    stream.push({ event, data: JSON.stringify(data), ...(id ? { id } : {}) }).catch(() => clients.delete(stream));
  const status = async () => snapshot(await deps.health(), deps.sms(), deps.clock.now());

  const unlisten = deps.events.on('*', (event) => {
    if (event.type === 'modem.online' || event.type === 'modem.offline') sample();
    if (!clients.size) return;
    const body = streamEvent(event as AnyEvent);
    for (const stream of clients) void push(stream, 'agent', body, body.id);
  });
  deps.signal.addEventListener('abort', unlisten, { once: true });

  void (async () => {
    while (!deps.signal.aborted) {
      try {
        sample();
        if (clients.size) {
          const snap = await status();
          for (const stream of clients) void push(stream, 'status', snap);
        }
      } catch {
        // A health probe that failed now is retried next interval; the stream stays open.
      }
      await deps.clock.sleep(intervalMs, deps.signal).catch(() => {});
    }
  })();

  return [
    {
      method: 'GET',
      path: '/events',
      summary: 'Server-sent events: `status` snapshots and `agent` events (ids and states only)',
      description: 'Send the key in a header (fetch() with a ReadableStream; EventSource cannot). A status snapshot arrives at once and every few seconds.',
      tags: ['system'],
      scope: 'read',
      responses: { 200: { description: 'A stream of `status` and `agent` events', contentType: 'text/event-stream' } },
      handler: async ({ event }) => {
        const stream = deps.api.sse(event, { onClose: () => clients.delete(stream) });
        clients.add(stream);
        // Tells the client how soon to reconnect after a drop (ms).
        void stream.push({ event: 'status', data: JSON.stringify(await status()), retry: 3000 }).catch(() => clients.delete(stream));
        return stream;
      },
    },
    {
      method: 'GET',
      path: '/modems/signal-history',
      summary: 'Signal samples per modem (in memory: since start, at most a day)',
      tags: ['system'],
      scope: 'read',
      responses: {
        200: {
          description: 'Samples, oldest first; dbm is null while the modem was offline',
          schema: v.object({ items: v.array(v.object({ modem: v.string(), samples: v.array(v.object({ at: v.string(), dbm: v.nullable(v.number()) })) })), next: v.null() }),
        },
      },
      handler: () => {
        sample();
        return { items: [...history].map(([modem, samples]) => ({ modem, samples })), next: null };
      },
    },
  ];
}
