import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { webhook } from '../../plugins/webhook/index.ts';
import { harness as apiHarness } from '../api/fixtures/agent.ts';
import { receiver, SECRET, until } from './helpers.ts';

const start = (t: Parameters<typeof apiHarness>[0], options: Record<string, unknown> = {}) =>
  apiHarness(t, { plugins: [webhook({ flushIntervalMs: 0, defaultSecret: SECRET, ...options })] });
const json = (method: string, body: unknown) => ({ method, json: body });
const receive = (h: Awaited<ReturnType<typeof start>>, text = 'code 777111') =>
  h.agent.journal.append('sms.received', {
    messageId: 'm1', from: '+15550100100', text, encoding: 'gsm7', parts: 1, receivedAt: '2026-01-01T00:00:00Z', smsc: null, modem: 'modem', class: null,
  }).id;

t.test('CRUD: the secret is shown once, never again; URLs lose userinfo and query', async (t) => {
  const r = await receiver(t);
  const h = await start(t);
  let res = await h.request('/webhooks', json('POST', { url: `http://u:p@127.0.0.1:${r.port}/in?token=zz`, events: ['sms.received'] }));
  t.equal(res.status, 201);
  const created = (await res.json()) as { webhook: { id: string; url: string; secret: string }; secret: string };
  t.match(created.secret, /^whsec_/);
  t.equal(created.webhook.url, `http://127.0.0.1:${r.port}/in`);
  const id = created.webhook.id;
  for (const path of ['/webhooks', `/webhooks/${id}`]) {
    const text = await (await h.request(path)).text();
    t.notOk(text.includes(created.secret) || text.includes('token') || text.includes('u:p'), `${path} shows no secret, userinfo or query`);
  }
  res = await h.request(`/webhooks/${id}`, json('PATCH', { enabled: false, events: ['sms.received', 'call.missed'] }));
  t.equal(res.status, 200);
  t.match(await res.json(), { enabled: false, events: ['sms.received', 'call.missed'] });
  t.equal((await h.request(`/webhooks/${id}`, { method: 'DELETE' })).status, 204);
  t.equal((await h.request(`/webhooks/${id}`)).status, 404);
  const types = (await (await h.request('/webhooks/event-types')).json()) as { items: { type: string; default: boolean }[] };
  t.ok(types.items.find((x) => x.type === 'sms.received')?.default);
  t.notOk(types.items.find((x) => x.type === 'modem.online')?.default);
});

t.test('bad input answers 4xx naming the field; no key answers 401', async (t) => {
  const h = await start(t, { allowHosts: ['hooks.example.com'] });
  const cases: [unknown, string, number][] = [
    [{ url: 'ftp://hooks.example.com/x' }, 'url', 400],
    [{ url: 'http://evil.example.net/x' }, 'url', 400],
    [{ url: 'not a url' }, 'url', 400],
    [{ url: 'https://hooks.example.com/x', format: 'xml' }, 'format', 400],
    [{ url: 'https://hooks.example.com/x', events: ['sms.nope'] }, 'events.0', 400],
    [{ url: 'https://hooks.example.com/x', secret: 'short' }, 'secret', 400],
    [{ url: 'https://hooks.example.com/x', secret: 'not-a-whsec-secret-at-all' }, 'secret', 400],
    [{ url: 'https://hooks.example.com/x', headers: { host: 'x' } }, 'headers.host', 400],
    [{ url: 'https://hooks.example.com/x', maxAttempts: 0 }, 'maxAttempts', 400],
    [{ url: 'https://hooks.example.com/x', extra: 1 }, 'extra', 400],
  ];
  for (const [body, field, status] of cases) {
    const res = await h.request('/webhooks', json('POST', body));
    t.equal(res.status, status, JSON.stringify(body));
    t.match(await res.json(), { error: { field } });
  }
  t.equal((await h.request('/webhooks', { key: null })).status, 401);
  t.equal((await h.request('/webhooks/../../etc/passwd')).status, 404);
  t.equal((await h.request('/sms/webhook-deliveries?status=weird')).status, 400);
  t.equal((await h.request('/sms/webhook-deliveries/not-an-id')).status, 404);
});

t.test('POST /webhooks/:id/test answers with the attempt; the delivery log shows it', async (t) => {
  const r = await receiver(t, () => 200);
  const h = await start(t);
  const { webhook: w, secret } = (await (await h.request('/webhooks', json('POST', { url: `${r.url}/in` }))).json()) as { webhook: { id: string }; secret: string };
  const res = await h.request(`/webhooks/${w.id}/test`, { method: 'POST' });
  t.equal(res.status, 200);
  const result = (await res.json()) as { status: string; httpStatus: number; deliveryId: string };
  t.match(result, { status: 'delivered', outcome: 'delivered', httpStatus: 200 });
  const payload = new Webhook(secret).verify(r.received[0]!.body, r.received[0]!.headers as Record<string, string>) as { type: string; data: { webhookId: string } };
  t.same([payload.type, payload.data.webhookId], ['webhook.test', w.id]);
  const one = (await (await h.request(`/sms/webhook-deliveries/${result.deliveryId}`)).json()) as { attemptLog: unknown[]; status: string };
  t.equal(one.status, 'delivered');
  t.match(one.attemptLog, [{ n: 1, outcome: 'delivered', status: 200, counted: true }]);
  const list = (await (await h.request(`/sms/webhook-deliveries?limit=10&webhookId=${w.id}&status=delivered`)).json()) as { items: unknown[]; next: string | null };
  t.equal(list.items.length, 1);
  t.equal(list.next, null);
});

t.test('rotate-secret: the new secret is shown once, both sign for 24 h, then only the new one', async (t) => {
  const r = await receiver(t);
  const h = await start(t);
  const { webhook: w, secret: old } = (await (await h.request('/webhooks', json('POST', { url: r.url }))).json()) as { webhook: { id: string }; secret: string };
  const rotated = (await (await h.request(`/webhooks/${w.id}/rotate-secret`, { method: 'POST' })).json()) as { secret: string; previousSecretUntil: string };
  t.not(rotated.secret, old);
  t.equal(Date.parse(rotated.previousSecretUntil) - h.clock.now(), 24 * 3600_000);
  await h.request(`/webhooks/${w.id}/test`, { method: 'POST' });
  const first = r.received[0]!;
  t.ok(new Webhook(old).verify(first.body, first.headers as Record<string, string>), 'the old secret still verifies');
  t.ok(new Webhook(rotated.secret).verify(first.body, first.headers as Record<string, string>), 'the new one too');
  await h.clock.advance(24 * 3600_000 + 1000);
  await h.request(`/webhooks/${w.id}/test`, { method: 'POST' });
  const second = r.received[1]!;
  t.equal(String(second.headers['webhook-signature']).split(' ').length, 1, 'one signature after the overlap');
});

t.test('replay re-sends past events from the journal; retry attempts a failed delivery now', async (t) => {
  let status = 400;
  const r = await receiver(t, () => status);
  const h = await start(t);
  const { webhook: w } = (await (await h.request('/webhooks', json('POST', { url: r.url }))).json()) as { webhook: { id: string } };
  const since = new Date(h.clock.now() - 1000).toISOString();
  const ids = [receive(h, 'a'), receive(h, 'b')];
  await until(() => r.received.length === 2, 'two attempts');
  await h.agent.use('webhook').settled();
  const failed = (await (await h.request('/sms/webhook-deliveries?status=failed')).json()) as { items: { id: string }[] };
  t.equal(failed.items.length, 2, '400 fails without retrying');
  status = 200;
  const retried = (await (await h.request(`/sms/webhook-deliveries/${failed.items[0]!.id}/retry`, { method: 'POST' })).json()) as { status: string };
  t.equal(retried.status, 'delivered');
  const res = await h.request(`/webhooks/${w.id}/replay`, json('POST', { since }));
  t.equal(res.status, 202);
  t.same(await res.json(), { queued: 2, truncated: false });
  await until(() => r.received.length === 5, 'replayed');
  const replayed = r.received.slice(3).map((x) => JSON.parse(x.body).id).sort();
  t.same(replayed, [...ids].sort(), 'the same event ids again');
  t.equal((await h.request(`/webhooks/${w.id}/replay`, json('POST', { since: 'yesterday' }))).status, 400);
});

t.test('POST /sms/subscribe: callstack, sms.received only, signed with the default secret', async (t) => {
  const r = await receiver(t);
  const h = await start(t);
  const res = await h.request('/sms/subscribe', json('POST', { url: `${r.url}/sms` }));
  t.equal(res.status, 201);
  t.match(await res.json(), { webhook: { format: 'callstack', events: ['sms.received'], secret: 'default' } });
  receive(h, 'hello');
  h.agent.journal.append('call.missed', { from: '+15550100100', at: 'x', modem: 'modem' });
  await r.waitFor(1);
  await h.agent.use('webhook').settled();
  t.equal(r.received.length, 1);
  const { verifyWebhook } = await import('../../plugins/webhook/index.ts');
  const body = (await verifyWebhook('callstack', SECRET, r.received[0]!.headers, r.received[0]!.body)) as Record<string, unknown>;
  t.match(body, { event: 'sms.received', sender: '+15550100100', body: 'hello' });
});

t.test('metrics count attempts by outcome', async (t) => {
  const r = await receiver(t, (_q, n) => (n === 1 ? 500 : 200));
  const h = await start(t);
  await h.request('/webhooks', json('POST', { url: r.url }));
  receive(h);
  await r.waitFor(1);
  await h.agent.use('webhook').settled();
  const text = await (await h.request('/metrics')).text();
  t.match(text, /smsedge_webhook_attempts_total\{outcome="retry"\} 1/);
  t.match(text, /smsedge_webhook_deliveries\{status="retrying"\} 1/);
});
