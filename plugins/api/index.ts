import * as v from 'valibot';
import { definePlugin } from '../../core/plugin.ts';
import { registerSecret } from '../../core/redact.ts';
import type { SmsService } from '../../core/services.ts';
import { createApiApp, type ApiApp } from './app.ts';
import { ConfigError } from '../../core/config.ts';
import { isLoopback, keyWeakness } from './auth.ts';
import { AuditLog } from './audit.ts';
import { Idempotency } from './idempotency.ts';
import { KeyRing, type ConfiguredKey } from './keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { keyRoutes } from './routes/keys.ts';
import type { Logger } from '../../core/log.ts';
import { apiOptions, type ApiOptions } from './options.ts';
import { callRoutes } from './routes/calls.ts';
import { eventRoutes } from './routes/events.ts';
import { threadRoutes } from './routes/threads.ts';
import { doctorRoutes } from './routes/doctor.ts';
import { modemRoutes } from './routes/modems.ts';
import { collectAgentMetrics, healthRoutes } from './routes/health.ts';
import { simulatorRoutes, type SimulatorControl } from './routes/simulator.ts';
import { smsRoutes, type CallbackCheck, type MessageRulesSource } from './routes/sms.ts';
import { uiRoutes } from './routes/ui.ts';
import { ussdRoutes } from './routes/ussd.ts';
import { balanceRoutes } from './routes/balance.ts';
import { serve, type Server } from './server.ts';
import { ApiError } from './service.ts';

export { ApiError } from './service.ts';
export type { ApiService, RouteDef, RouteRequest, Metrics, Counter, Gauge, Sample, HttpMethod } from './service.ts';
export { apiOptions, type ApiOptions } from './options.ts';

/**
 * The REST API: h3 served by listhen on `host:port`, the key from the environment variable named by
 * `apiKeyEnv`. Provides the `api` service through which other plugins add routes and metrics.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem({ port: '/dev/ttyUSB2' }), api({ host: '0.0.0.0' })] // SMSEDGE_API_KEY must then be set
 */
export const api = definePlugin({
  name: 'api',
  after: ['modem'],
  options: apiOptions,
  setup(ctx) {
    const { host, port, apiKeyEnv, bodyLimit, allowedHosts, ingress } = ctx.options;
    const configured = configuredKeys(ctx.options, host, ctx.log);
    const keys = new KeyRing({ clock: ctx.clock, configured, store: ctx.store, ...(ctx.options.rateLimit ? { defaultRateLimit: ctx.options.rateLimit } : {}) });
    // Twilio signs with its auth token: the key of apiKeyEnv, else the first configured key.
    const apiKey = configured[0]?.key;
    const audit = new AuditLog(ctx.store, ctx.clock, ctx.options.auditRetentionDays);
    const http: ApiApp = createApiApp({ log: ctx.log, clock: ctx.clock, apiKey, keys, audit, bodyLimit, allowedHosts, ingress, idempotency: new Idempotency(ctx.store, ctx.clock), processMetrics: true });
    ctx.provide('api', http);

    const sms = (): SmsService => {
      const service = ctx.tryUse('sms');
      if (!service) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
      return service;
    };
    const deps = { health: () => ctx.health(), sms: () => ctx.tryUse('sms') };
    for (const def of [...smsRoutes(sms, ctx.store, () => (ctx.tryUse as (name: string) => unknown)('webhook') as CallbackCheck | undefined, () => (ctx.tryUse as (name: string) => unknown)('rules') as MessageRulesSource | undefined, () => ctx.clock.now()), ...ussdRoutes(sms), ...callRoutes(ctx.journal), ...healthRoutes(deps, http.metrics), ...doctorRoutes(deps.sms), ...balanceRoutes(deps.sms), ...threadRoutes(sms), ...modemRoutes(deps.sms)]) http.route(def);
    http.route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document',
      tags: ['system'],
      // Any valid key may read what the API offers (the page reads it to know which routes exist).
      scope: 'any',
      responses: { 200: { description: 'The OpenAPI 3.1 document of every route this agent serves', schema: v.looseObject({ openapi: v.literal('3.1.0'), paths: v.record(v.string(), v.unknown()) }) } },
      // The generator (and @valibot/to-json-schema) is loaded on the first request: most agents never
      // serve this document, and the module stays cached once someone asks.
      handler: async () => (await import('./openapi.ts')).openApiDocument(http.routes().map((r) => r.def), http.urls()),
    });
    // The simulator service exists only when the modem plugin runs on the built-in simulator.
    const simulator = (ctx.tryUse as (name: string) => unknown)('simulator') as SimulatorControl | undefined;
    if (simulator) for (const def of simulatorRoutes(() => simulator)) http.route(def);
    // The operator page and its live feed.
    for (const def of [...keyRoutes(() => keys), ...auditRoutes(audit)]) http.route(def);
    for (const def of [...uiRoutes(undefined, { ingress }), ...eventRoutes({ api: http, events: ctx.events, clock: ctx.clock, signal: ctx.signal, ...deps })]) http.route(def);
    const stopAgentMetrics = collectAgentMetrics(http.metrics, { ...deps, startedAt: ctx.clock.now(), now: () => ctx.clock.now() });

    let server: Server | undefined;
    return {
      async start() {
        if (!keys.required && isLoopback(host)) ctx.log.warn({ apiKeyEnv }, 'no API key set: the API is open to every process on this machine (loopback only)');
        server = await serve(http.app, { host, port, keyConfigured: keys.required });
        http.setUrls(server.urls);
        ctx.log.info({ urls: server.urls, auth: keys.required ? `${keys.list().length} key(s)` : 'none (loopback)' }, `API listening on ${server.urls.join(', ')}`);
        if (ingress) ctx.log.info({ trustedProxy: ingress.trustedProxy }, 'add-on mode: requests from the Home Assistant Ingress proxy need no key');
      },
      async stop() {
        stopAgentMetrics();
        await http.closeStreams();
        await server?.close();
        server = undefined;
      },
      health() {
        return server ? { status: 'pass', urls: server.urls } : { status: 'fail', state: 'not listening' };
      },
    };
  },
});

/**
 * The keys of the config, with their values from the environment: the key of `apiKeyEnv` (when set)
 * as the admin key `default`, then `keys`. A key too weak for an API on the network is a config
 * error naming it; on loopback a warning.
 */
export function configuredKeys(options: Pick<ApiOptions, 'apiKeyEnv' | 'keys'>, host: string, log: Logger, env: NodeJS.ProcessEnv = process.env): ConfiguredKey[] {
  const out: ConfiguredKey[] = [];
  const legacy = env[options.apiKeyEnv] || undefined;
  const check = (key: string, where: string, name: string, variable: string) => {
    registerSecret(key);
    // A key guards an API on the network only if it cannot be guessed; failed tries are throttled too.
    const weakness = keyWeakness(key);
    if (weakness && !isLoopback(host)) throw new ConfigError(where, `the API key ${weakness}`);
    if (weakness) log.warn({ key: name, env: variable }, `the API key ${weakness}; it is accepted only because the API listens on loopback`);
  };
  if (legacy !== undefined) {
    check(legacy, options.apiKeyEnv, 'default', options.apiKeyEnv);
    out.push({ name: 'default', key: legacy, scopes: ['admin'] });
  }
  for (const [i, k] of (options.keys ?? []).entries()) {
    if (k.keyEnv === options.apiKeyEnv) throw new ConfigError(`keys.${i}.keyEnv`, `${k.keyEnv} is apiKeyEnv already (the admin key "default"): name another variable`);
    const value = env[k.keyEnv] || undefined;
    if (value === undefined) throw new ConfigError(`keys.${i}.keyEnv`, `the environment variable ${k.keyEnv} (key "${k.name}") is not set`);
    if (out.some((o) => o.name === k.name)) throw new ConfigError(`keys.${i}.name`, `a key named "${k.name}" exists already${k.name === 'default' ? ' (the key of apiKeyEnv)' : ''}`);
    if (out.some((o) => o.key === value)) throw new ConfigError(`keys.${i}.keyEnv`, `${k.keyEnv} holds the same key as another entry: give every key its own value`);
    check(value, `keys.${i}.keyEnv`, k.name, k.keyEnv);
    out.push({ name: k.name, key: value, scopes: k.scopes, ...(k.rateLimit ? { rateLimit: k.rateLimit } : {}) });
  }
  return out;
}

export default api;
