/**
 * The webhook sink: forwards events to subscribed URLs, signed (four formats), retried durably, logged.
 *
 * @example
 * // agent.config.ts
 * import { webhook } from './plugins/webhook/index.ts';
 * export default defineConfig({ plugins: [modem({...}), api(), webhook({ allowHosts: ['*.lan'] })] });
 */
import { definePlugin, type PluginContext } from '../../core/plugin.ts';
import { join } from 'node:path';
import { registerSecret } from '../../core/redact.ts';
import { Deliveries } from './deliveries.ts';
import { DestinationPolicy, systemResolver } from './destination.ts';
import { Engine } from './engine.ts';
import { createIntake } from './intake.ts';
import { webhookOptions, type WebhookOptions } from './options.ts';
import { registerRoutes } from './routes.ts';
import { RELEASE_DATE } from './sanity.ts';
import { webhookMigrations } from './schema.ts';
import { SECRET_FILE, loadOrCreateSecret } from './secretfile.ts';
import { WebhookService } from './service.ts';
import { Subscriptions } from './subscriptions.ts';

export { verifyWebhook, WebhookVerifyError, type VerifyOptions } from './verify.ts';
export { generateSecret } from './secret.ts';
export { SECRET_FILE, SecretFileError } from './secretfile.ts';
export { formatNames, type FormatName } from './formats/types.ts';
export { WebhookService, WebhookError } from './service.ts';
export { RELEASE_DATE } from './sanity.ts';
export type { Transport, PostRequest, PostResponse } from './transport.ts';

declare module '../../core/plugin.ts' {
  interface Services {
    webhook: WebhookService;
  }
}

/** The journal sink's name: its durable cursor. Keep it stable. */
export const SINK = 'webhook';

export const webhook = definePlugin({
  name: 'webhook',
  // Routes are mounted through the API when it runs; without it the sink still delivers.
  after: ['api'],
  options: webhookOptions,
  setup(ctx: PluginContext<WebhookOptions>) {
    const o = ctx.options;
    ctx.store.migrate('webhook', webhookMigrations);
    // Never unsigned: without an option or SMSEDGE_WEBHOOK_SECRET, the secret kept in the data directory.
    const given = o.defaultSecret ?? (process.env.SMSEDGE_WEBHOOK_SECRET || undefined);
    const secretFile = join(ctx.dataDir, SECRET_FILE);
    const stored = given === undefined ? loadOrCreateSecret(secretFile) : undefined;
    const defaultSecret = given ?? stored!.secret;
    registerSecret(defaultSecret);
    // The path only: the value is read from the file by whoever configures the receivers.
    if (stored?.created) ctx.log.info({ file: secretFile }, 'SMSEDGE_WEBHOOK_SECRET is not set: generated a default webhook secret; configure receivers with the one in this file');
    else if (stored) ctx.log.info({ file: secretFile }, 'SMSEDGE_WEBHOOK_SECRET is not set: per-message callbacks and /sms/subscribe deliveries are signed with the secret in this file');
    const now = () => ctx.clock.now();
    const policy = new DestinationPolicy(o.destinations);
    const resolver = o.resolver ?? systemResolver;
    const subscriptions = new Subscriptions(ctx.store, now);
    const deliveries = new Deliveries(ctx.store);
    const api = ctx.tryUse('api');
    const attempts = api?.metrics.counter('smsedge_webhook_attempts_total', 'Webhook delivery attempts by outcome', ['outcome']);
    // One series per outcome (a handful of names), looked up once: counted on every attempt of a backlog.
    const attemptSeries = new Map<string, { inc(by?: number): void }>();
    const engine = new Engine({
      store: ctx.store,
      clock: ctx.clock,
      log: ctx.log,
      agentId: ctx.agentId,
      messageText: (id) => ctx.tryUse('sms')?.getMessage(id)?.text,
      ...(o.phoneNumber ? { phoneNumber: o.phoneNumber } : {}),
      subscriptions,
      deliveries,
      retry: {
        initialDelayMs: o.retry.initialDelayMs,
        maxDelayMs: o.retry.maxDelayMs,
        maxAttempts: o.retry.maxAttempts,
        maxAgeMs: o.retry.maxAgeHours * 3600_000,
      },
      timeoutMs: o.timeoutMs,
      perEndpoint: o.concurrency.perEndpoint,
      global: o.concurrency.global,
      breaker: o.breaker,
      retryAfterMaxMs: o.retryAfterMaxMs,
      notBefore: o.notBefore ? Date.parse(o.notBefore) : RELEASE_DATE,
      defaultSecret,
      allowHosts: o.allowHosts,
      transport: o.transport,
      destinations: policy,
      resolver,
      flushIntervalMs: o.flushIntervalMs,
      offlineProbeMs: o.offlineProbeMs,
      onAttempt: (outcome) => {
        if (!attempts) return;
        let series = attemptSeries.get(outcome);
        if (!series) attemptSeries.set(outcome, (series = attempts.labels({ outcome })));
        series.inc();
      },
    });
    const service = new WebhookService({
      store: ctx.store,
      journal: ctx.journal,
      now,
      subscriptions,
      deliveries,
      engine,
      allowHosts: o.allowHosts,
      policy,
      resolver,
      defaultSecret,
      emitTest: (webhookId) => ctx.events.emit('webhook.test', { webhookId }),
    });
    ctx.provide('webhook', service);
    const unroute = api ? registerRoutes(api, service) : [];
    const uncollect = api
      ? [
          api.metrics.collect('smsedge_webhook_deliveries', 'Webhook deliveries by status', 'gauge', () =>
            Object.entries(deliveries.counts()).map(([status, value]) => ({ labels: { status }, value })),
          ),
        ]
      : [];

    const prune = () => {
      try {
        const n = deliveries.prune(now(), o.retention.hours * 3600_000, o.retention.maxDeliveries);
        if (n) ctx.log.debug({ pruned: n }, 'webhook delivery log pruned');
      } catch (error) {
        ctx.log.error({ err: error }, 'webhook delivery log prune failed');
      }
    };
    let pruneTimer: NodeJS.Timeout | undefined;
    let unretain: (() => void) | undefined;

    return {
      start() {
        prune();
        pruneTimer = setInterval(prune, 3600_000);
        pruneTimer.unref();
        // Deliveries read their event from the journal at every attempt, and may wait longer than it
        // keeps acknowledged events (a held clock, a disabled subscription, an open circuit).
        unretain = ctx.journal.retain(SINK, () => deliveries.lowestSeq());
        engine.start();
        ctx.events.subscribe(
          SINK,
          createIntake({
            store: ctx.store,
            log: ctx.log,
            now,
            subscriptions,
            deliveries,
            allowHosts: o.allowHosts,
            policy,
            holding: () => engine.holding(),
            notify: (endpoint, nextAt) => engine.notify(endpoint, nextAt),
          }),
          { concurrency: o.intakeBatch },
        );
      },
      async stop() {
        clearInterval(pruneTimer);
        for (const off of [...unroute, ...uncollect]) off();
        await engine.stop();
        unretain?.();
      },
      health() {
        const counts = deliveries.counts();
        const h = engine.health();
        const warn = !h.clockTrusted || h.offline || h.openCircuits.length > 0;
        return {
          status: warn ? 'warn' : 'pass',
          backlog: counts.pending + counts.retrying,
          held: counts.held,
          failed: counts.failed,
          delivered: counts.delivered,
          inFlight: h.inFlight,
          clock: h.clockTrusted ? 'ok' : 'untrusted: deliveries held until the system clock is set',
          offline: h.offline,
          openCircuits: h.openCircuits,
          subscriptions: subscriptions.all().length,
          defaultSecret: stored ? 'file' : 'set',
        };
      },
    };
  },
});

export default webhook;
