import * as v from 'valibot';
import type { AgentHealth } from '../../../core/plugin.ts';
import type { SmsService } from '../../../core/services.ts';
import { allows } from '../keys.ts';
import type { Metrics, RouteDef } from '../service.ts';
import { balanceReading } from './balance.ts';

export interface HealthDeps {
  health: () => Promise<AgentHealth>;
  sms: () => SmsService | undefined;
}

/** Sinks whose name starts with this are webhook deliveries. */
const WEBHOOK_SINK = /^webhook/;

/**
 * Webhook deliveries still to be made. The webhook plugin's own count (`backlog`: pending and
 * retrying rows) when it reports one: its journal lag is 0 as soon as it has written the delivery
 * rows, however long the receiver stays down. Otherwise the journal lag of webhook sinks.
 */
export function webhookBacklog(health: AgentHealth): number {
  const own = (health.plugins.webhook as { backlog?: unknown } | undefined)?.backlog;
  if (typeof own === 'number') return own;
  return Object.entries(health.journal.lag).reduce((n, [sink, l]) => (WEBHOOK_SINK.test(sink) ? n + l : n), 0);
}

const healthSchema = v.object({
  status: v.picklist(['pass', 'warn', 'fail']),
  version: v.optional(v.string()),
  uptimeSeconds: v.optional(v.number()),
  modems: v.optional(v.array(v.object({
    id: v.string(), state: v.string(), signalDbm: v.nullable(v.number()), operator: v.nullable(v.string()), balance: v.optional(v.nullable(balanceReading)),
    /** The SIM's sending policy: parts sent per window against the caps set, why it holds now, parked. */
    sending: v.optional(v.object({
      counts: v.object({ minute: v.number(), hour: v.number(), day: v.number(), month: v.number(), recipients30Days: v.number() }),
      caps: v.record(v.string(), v.number()),
      held: v.nullable(v.string()),
      heldUntil: v.nullable(v.string()),
      parked: v.nullable(v.object({ since: v.string(), reason: v.string(), failures: v.number(), retryAt: v.nullable(v.string()) })),
      failures: v.number(),
    })),
    /** The message storages at the last health check; nearlyFull: at or above storageWarnPercent (sim.storage_nearly_full). */
    storage: v.optional(v.array(v.object({ mem: v.string(), used: v.number(), total: v.number(), nearlyFull: v.boolean() }))),
    /** The keep-alive (modem({ keepAlive })): the SIM's last activity and when the next one is due. */
    keepAlive: v.optional(v.object({
      kind: v.picklist(['sms', 'ussd']), everyDays: v.number(),
      lastActivityAt: v.nullable(v.string()), lastKeepAliveAt: v.nullable(v.string()), dueAt: v.nullable(v.string()),
    })),
  }))),
  queue: v.optional(v.object({ outbound: v.number(), scheduled: v.optional(v.number()) })),
  webhookBacklog: v.optional(v.number()),
  store: v.optional(
    v.object({ status: v.picklist(['pass', 'fail']), reason: v.optional(v.string()), message: v.optional(v.string()), since: v.optional(v.string()) }),
  ),
});

/**
 * GET /health answers everyone with the overall status (so a load balancer or uptime check needs no
 * key), and the details only to a caller with the key. 503 when failing, so checks need not parse.
 */
export function healthRoutes(deps: HealthDeps, metrics: Metrics): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/health',
      summary: 'Agent health: status for everyone, details for a key with the read scope',
      tags: ['system'],
      auth: false,
      responses: { 200: { description: 'pass or warn', schema: healthSchema }, 503: { description: 'fail', schema: healthSchema } },
      handler: async ({ principal }) => {
        const health = await deps.health();
        const httpStatus = health.status === 'fail' ? 503 : 200;
        // Details for a key that may read (any key on an API without keys); the status for everyone.
        if (!principal || !allows(principal.scopes, 'read')) return json(httpStatus, { status: health.status });
        const sms = deps.sms();
        return json(httpStatus, {
          status: health.status,
          agentId: health.agentId,
          version: health.version,
          uptimeSeconds: health.uptimeSeconds,
          modems: sms?.modems() ?? [],
          queue: queueOf(sms?.stats()),
          webhookBacklog: webhookBacklog(health),
          store: health.store,
          journal: health.journal,
          plugins: health.plugins,
        });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      tags: ['system'],
      scope: 'read',
      responses: { 200: { description: 'The Prometheus text exposition format 0.0.4', contentType: 'text/plain' } },
      handler: async () =>
        new Response(await metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' } }),
    },
  ];
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
}

/**
 * The agent's own series, computed at scrape time from the sms service, the journal and plugin
 * health. Returns a function that removes them.
 */
export function collectAgentMetrics(metrics: Metrics, deps: HealthDeps & { startedAt: number; now: () => number }): () => void {
  const stats = () => deps.sms()?.stats();
  const offs = [
    metrics.collect('smsedge_sms_received_total', 'SMS received (inbound messages stored)', 'counter', () => stats()?.inboundTotal ?? 0),
    metrics.collect('smsedge_sms_sent_total', 'SMS accepted for sending', 'counter', () => stats()?.outboundTotal ?? 0),
    metrics.collect('smsedge_sms_failed_total', 'SMS that ended failed', 'counter', () => stats()?.failedTotal ?? 0),
    metrics.collect('smsedge_delivery_reports_total', 'Delivery reports received', 'counter', () => stats()?.deliveryReports ?? 0),
    metrics.collect('smsedge_pdu_decode_errors_total', 'PDUs from the modem that could not be decoded', 'counter', () => stats()?.decodeErrors ?? 0),
    metrics.collect('smsedge_sms_unread_on_sim', 'Stored SMS no read gave whole, left on the SIM to be read again', 'gauge', () => stats()?.unreadOnSim ?? 0),
    metrics.collect('smsedge_modem_resets_total', 'Modem resets (re-initialisations after a fault)', 'counter', () => stats()?.resets ?? 0),
    metrics.collect('smsedge_outbound_queue_depth', 'Outbound messages waiting to be sent (not those held for a later sendAt)', 'gauge', () => stats()?.outboundQueued ?? 0),
    metrics.collect('smsedge_outbound_scheduled', 'Outbound messages held for a later sendAt', 'gauge', () => stats()?.outboundScheduled ?? 0),
    metrics.collect('smsedge_modem_signal_dbm', 'Signal strength per modem, dBm', 'gauge', () =>
      (deps.sms()?.modems() ?? []).filter((m) => m.signalDbm !== null).map((m) => ({ labels: { modem: m.id }, value: m.signalDbm! })),
    ),
    metrics.collect('smsedge_modem_online', '1 when the modem is online', 'gauge', () =>
      // Not online: why, in the label `reason` (e.g. the OS's words when its port cannot be opened).
      (deps.sms()?.modems() ?? []).map((m) => ({ labels: { modem: m.id, state: m.state, ...(m.reason ? { reason: m.reason } : {}) }, value: m.state === 'online' ? 1 : 0 })),
    ),
    metrics.collect('smsedge_sim_balance', "The last balance read with the modem's USSD code (modem({ balance }))", 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => (m.balance ? [{ labels: { modem: m.id, ...(m.balance.currency ? { currency: m.balance.currency } : {}) }, value: m.balance.amount }] : [])),
    ),
    metrics.collect('smsedge_sim_balance_checked_timestamp_seconds', 'When the balance was last read (Unix time)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => (m.balance ? [{ labels: { modem: m.id }, value: Math.round(Date.parse(m.balance.checkedAt) / 1000) }] : [])),
    ),
    metrics.collect('smsedge_modem_storage_used', 'Messages in each modem storage at the last health check (AT+CPMS?)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => (m.storage ?? []).map((s) => ({ labels: { modem: m.id, storage: s.mem }, value: s.used }))),
    ),
    metrics.collect('smsedge_modem_storage_total', 'Capacity of each modem storage (AT+CPMS?)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => (m.storage ?? []).map((s) => ({ labels: { modem: m.id, storage: s.mem }, value: s.total }))),
    ),
    metrics.collect('smsedge_sim_keepalive_due_timestamp_seconds', 'When the next keep-alive is due if the SIM sends nothing before (Unix time)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => (m.keepAlive?.dueAt ? [{ labels: { modem: m.id }, value: Math.round(Date.parse(m.keepAlive.dueAt) / 1000) }] : [])),
    ),
    metrics.collect('smsedge_modem_sends', 'SMS parts sent per modem in the policy windows (minute, hour, day, month; recipients30Days: distinct recipients)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => Object.entries(m.sending?.counts ?? {}).map(([window, value]) => ({ labels: { modem: m.id, window }, value }))),
    ),
    metrics.collect('smsedge_modem_send_cap', 'The caps configured per modem and window', 'gauge', () =>
      (deps.sms()?.modems() ?? []).flatMap((m) => Object.entries(m.sending?.caps ?? {}).map(([window, value]) => ({ labels: { modem: m.id, window }, value: value! }))),
    ),
    metrics.collect('smsedge_modem_held', '1 while the modem holds new messages back; the reason in `reason` (daily cap, quiet hours, parked, ...)', 'gauge', () =>
      (deps.sms()?.modems() ?? []).filter((m) => m.sending).map((m) => ({ labels: { modem: m.id, ...(m.sending!.held ? { reason: m.sending!.held } : {}) }, value: m.sending!.held ? 1 : 0 })),
    ),
    metrics.collect('smsedge_modem_parked', '1 while the modem is parked for sends after permanent failures', 'gauge', () =>
      (deps.sms()?.modems() ?? []).filter((m) => m.sending).map((m) => ({ labels: { modem: m.id }, value: m.sending!.parked ? 1 : 0 })),
    ),
    metrics.collect('smsedge_outbound_held', 'Queued messages due but held back, by reason', 'gauge', () =>
      Object.entries(stats()?.held ?? {}).map(([reason, value]) => ({ labels: { reason }, value })),
    ),
    metrics.collect('smsedge_uptime_seconds', 'Seconds since the agent started', 'gauge', () => Math.round((deps.now() - deps.startedAt) / 1000)),
  ];
  offs.push(
    metrics.collect('smsedge_journal_lag_events', 'Events not yet acknowledged, per sink', 'gauge', async () =>
      Object.entries((await deps.health()).journal.lag).map(([sink, value]) => ({ labels: { sink }, value })),
    ),
    metrics.collect('smsedge_store_writable', '1 while the store can write, 0 while it cannot (reason: storage_full)', 'gauge', async () => {
      const store = (await deps.health()).store;
      const labels: Record<string, string> = store.status === 'fail' ? { reason: store.reason } : {};
      return [{ labels, value: store.status === 'fail' ? 0 : 1 }];
    }),
    metrics.collect('smsedge_plugin_up', '1 when the plugin reports pass or warn, 0 on fail', 'gauge', async () =>
      Object.entries((await deps.health()).plugins).map(([plugin, h]) => ({ labels: { plugin, status: h.status }, value: h.status === 'fail' ? 0 : 1 })),
    ),
  );
  return () => {
    for (const off of offs) off();
  };
}

/** The outbound queue for /health: what waits to be sent now, and what is held for a later sendAt. */
function queueOf(stats: { outboundQueued: number; outboundScheduled?: number } | undefined): { outbound: number; scheduled: number } {
  return { outbound: stats?.outboundQueued ?? 0, scheduled: stats?.outboundScheduled ?? 0 };
}
