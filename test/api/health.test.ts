import t from 'tap';
import { definePlugin } from '../../core/plugin.ts';
import { openApiPath } from '../../plugins/api/openapi.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhook } from '../../plugins/webhook/index.ts';
import { waitFor } from '../file/wait.ts';
import { harness, KEY } from './fixtures/agent.ts';

t.test('GET /health: the status for anyone, details with the key', async (t) => {
  const h = await harness(t);
  let res = await h.request('/health', { key: null });
  t.same([res.status, await res.json()], [200, { status: 'pass' }]);
  res = await h.request('/health', { key: 'wrong' });
  t.same(await res.json(), { status: 'pass' }, 'a wrong key gets no details either');
  res = await h.request('/health');
  const body = (await res.json()) as Record<string, unknown>;
  t.match(body, {
    status: 'pass',
    version: String,
    uptimeSeconds: Number,
    modems: [{ id: 'default', state: 'online', signalDbm: -71, operator: 'Test Net', registration: 'home', sim: 'ready' }],
    queue: { outbound: 0 },
    webhookBacklog: 0,
    plugins: { modem: { status: 'pass' }, api: { status: 'pass' } },
  });
});

t.test('a failing plugin makes /health answer 503', async (t) => {
  const broken = definePlugin({ name: 'mqtt', setup: () => ({ health: () => ({ status: 'fail' as const, reason: 'broker unreachable' }) }) });
  const h = await harness(t, { plugins: [broken()] });
  const res = await h.request('/health', { key: null });
  t.same([res.status, await res.json()], [503, { status: 'fail' }]);
});

t.test('without the webhook plugin reporting a backlog, it is the journal lag of webhook sinks', async (t) => {
  const h = await harness(t);
  const sub = h.agent.journal.subscribe('webhook:hook-1', () => new Promise(() => {}));
  t.teardown(() => sub.stop());
  h.agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 1 });
  h.agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 2 });
  const body = (await (await h.request('/health')).json()) as { webhookBacklog: number };
  t.equal(body.webhookBacklog, 2);
});

t.test('webhook backlog counts deliveries waiting for a receiver that is down, in /health and the /events status', async (t) => {
  // A port nothing listens on: every attempt is refused and retried later.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const h = await harness(t, { plugins: [webhook({ flushIntervalMs: 0, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: 5 } })] });
  const created = await h.request('/webhooks', { method: 'POST', json: { url: `http://127.0.0.1:${port}/hook`, events: ['system.ping'] } });
  t.equal(created.status, 201);
  h.agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 1 });
  h.agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 2 });
  // The sink takes the events into its delivery table (journal lag 0) before any attempt succeeds.
  await waitFor(async () => h.agent.journal.lags().webhook === 0 && (await h.agent.health()).plugins.webhook?.backlog === 2, 'two deliveries waiting');
  const body = (await (await h.request('/health')).json()) as { webhookBacklog: number };
  t.equal(body.webhookBacklog, 2, 'the deliveries waiting, not the journal lag');

  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await fetch(`${h.http.urls()[0]}/events`, { headers: { authorization: `Bearer ${KEY}` }, signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!/\n\n/.test(text)) text += (await reader.read()).value ?? '';
  const status = JSON.parse(/^data: (.*)$/m.exec(text)![1]!);
  t.equal(status.webhookBacklog, 2, 'the page shows the same backlog');
});

t.test('GET /metrics: Prometheus text with SMS, modem, journal, plugin and HTTP series', async (t) => {
  const h = await harness(t);
  await h.request('/sms/send', { method: 'POST', json: { to: '+15550100100', text: 'x' } });
  h.agent.use('api').metrics.counter('smsedge_webhook_attempts_total', 'Webhook delivery attempts', ['outcome']).inc({ outcome: 'ok' }, 2);
  t.equal((await h.request('/metrics', { key: null })).status, 401);
  const res = await h.request('/metrics');
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (const line of [
    'smsedge_sms_sent_total 1',
    'smsedge_sms_received_total 3',
    'smsedge_sms_failed_total 1',
    'smsedge_delivery_reports_total 4',
    'smsedge_outbound_queue_depth 1',
    'smsedge_modem_resets_total 2',
    'smsedge_modem_signal_dbm{modem="default"} -71',
    'smsedge_modem_online{modem="default",state="online"} 1',
    'smsedge_plugin_up{plugin="api",status="pass"} 1',
    'smsedge_webhook_attempts_total{outcome="ok"} 2',
    'smsedge_http_requests_total{method="POST",route="/sms/send",status="202"} 1',
    '# TYPE smsedge_sms_sent_total counter',
    '# TYPE smsedge_outbound_queue_depth gauge',
  ])
    t.ok(text.split('\n').includes(line), line);
  // Every sample line is `name{labels} value`.
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) t.match(line, /^[a-z_:][a-z0-9_:]*(\{[^}]*\})? (-?[\d.e+-]+|NaN|[+-]Inf)$/, line);
});

t.test('metrics registry: label escaping, types, bad names', async (t) => {
  const h = await harness(t);
  const m = h.agent.use('api').metrics;
  m.gauge('smsedge_test_gauge', 'A "test"\nhelp', ['name']).set(1.5, { name: 'a"b\\c\nd' });
  const text = await m.render();
  t.ok(text.includes('smsedge_test_gauge{name="a\\"b\\\\c\\nd"} 1.5'));
  t.ok(text.includes('# HELP smsedge_test_gauge A "test"\\nhelp'));
  t.throws(() => m.counter('smsedge_test_gauge', 'x'), /already registered as a gauge/);
  t.throws(() => m.counter('bad-name', 'x'), { code: 'invalid_metric' });
  t.throws(() => m.counter('smsedge_c_total', 'x').inc({}, -1), /only goes up/);
  t.throws(() => m.counter('smsedge_d_total', 'x', ['a']).inc({ b: '1' }), /unknown label/);
});

t.test('metrics registry: a series bound with labels() counts into the same series as inc(labels)', async (t) => {
  const h = await harness(t);
  const m = h.agent.use('api').metrics;
  const c = m.counter('smsedge_bound_total', 'Bound', ['outcome']);
  const ok = c.labels({ outcome: 'ok' });
  ok.inc();
  ok.inc(2);
  c.inc({ outcome: 'ok' });
  c.labels({ outcome: 'failed' }).inc();
  const text = await m.render();
  t.ok(text.includes('smsedge_bound_total{outcome="ok"} 4'), text);
  t.ok(text.includes('smsedge_bound_total{outcome="failed"} 1'), text);
  t.throws(() => ok.inc(-1), /only goes up/);
  t.throws(() => c.labels({ other: 'x' }), /unknown label/);
});

t.test('GET /openapi.json documents every route, including ones added later', async (t) => {
  const h = await harness(t);
  h.agent.use('api').route({ method: 'DELETE', path: '/webhooks/:id', summary: 'Remove a webhook', handler: () => undefined });
  const res = await h.request('/openapi.json');
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };
  t.equal(doc.openapi, '3.1.0');
  const routes = h.http.routes();
  t.ok(routes.length >= 10);
  for (const { def } of routes) {
    const op = doc.paths[openApiPath(def.path)]?.[def.method.toLowerCase()];
    t.ok(op, `${def.method} ${def.path} is documented`);
    if (def.body) t.ok(op?.requestBody, `${def.method} ${def.path} has its body schema`);
  }
  const sendOp = doc.paths['/sms/send']!.post! as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[] } } } } };
  const schema = sendOp.requestBody.content['application/json'].schema;
  t.same(schema.required.sort(), ['text', 'to']);
  t.ok(schema.properties.clientRef);
  t.ok(doc.paths['/webhooks/{id}']?.delete);
  t.equal((await h.request('/openapi.json', { key: null })).status, 401);
});
