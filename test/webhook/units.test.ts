import t from 'tap';
import { systemClock } from '../../core/clock.ts';
import { Journal, journalMigrations } from '../../core/journal.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';
import { received } from '../fixtures/events.ts';
import { defaultRetryPolicy, nextDelay, retryAfterMs, type BackoffState } from '../../plugins/webhook/backoff.ts';
import { Deliveries } from '../../plugins/webhook/deliveries.ts';
import { webhookMigrations } from '../../plugins/webhook/schema.ts';
import { isStandardSecret, generateSecret } from '../../plugins/webhook/secret.ts';
import { checkUrl, displayUrl, endpointKey, requestTarget } from '../../plugins/webhook/url.ts';
import { classifyError, createHttpTransport } from '../../plugins/webhook/transport.ts';
import { createServer } from 'node:http';

t.test('backoff: about 10 s first, growing, never past 2 h', async (t) => {
  const firsts = Array.from({ length: 2000 }, () => nextDelay(undefined, defaultRetryPolicy)[0]);
  const median = [...firsts].sort((a, b) => a - b)[1000]!;
  t.ok(median > 5_000 && median < 15_000, `median first delay ${median} ms`);
  t.ok(firsts.every((d) => d >= 0 && d <= 30_000));
  const bad: number[] = [];
  const spans: number[] = [];
  for (let run = 0; run < 200; run++) {
    let state: BackoffState;
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const [d, next] = nextDelay(state, defaultRetryPolicy);
      if (!(d >= 0 && d <= 2 * 3600_000)) bad.push(d);
      total += d;
      state = next;
    }
    spans.push(total);
  }
  t.same(bad, [], 'every delay within [0, 2 h]');
  t.ok(Math.min(...spans) > 6 * 3600_000, `20 attempts span hours (shortest ${Math.round(Math.min(...spans) / 3600_000)} h)`);
});

t.test('Retry-After: seconds or an HTTP date, clamped', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(retryAfterMs('120', now, 1000, 3600_000), 120_000);
  t.equal(retryAfterMs('0', now, 1000, 3600_000), 1000);
  t.equal(retryAfterMs('999999', now, 1000, 3600_000), 3600_000);
  t.equal(retryAfterMs('Thu, 01 Jan 2026 00:05:00 GMT', now, 1000, 3600_000), 300_000);
  t.equal(retryAfterMs('soon', now, 1000, 3600_000), undefined);
  t.equal(retryAfterMs(null, now, 1000, 3600_000), undefined);
});

t.test('secrets and URLs', async (t) => {
  t.ok(isStandardSecret(generateSecret()));
  t.notOk(isStandardSecret('whsec_short'));
  t.notOk(isStandardSecret('plain-secret-plain-secret-plain-secret'));
  t.equal(endpointKey('https://u:p@h.example:8443/a/b?token=x'), 'https://h.example:8443/a/b');
  t.equal(displayUrl('https://u:p@h.example/a?token=x'), 'https://h.example/a');
  t.same(requestTarget('http://us%40er:p%3Ass@h/x'), { url: 'http://h/x', authorization: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}` });
  t.throws(() => checkUrl('file:///etc/passwd', undefined), { code: 'invalid_url', field: 'url' });
  t.throws(() => checkUrl('http://a.example/x', ['*.b.example']), { code: 'invalid_url' });
  t.ok(checkUrl('http://x.b.example/x', ['*.b.example']));
  t.ok(checkUrl('http://192.168.1.20:8000/x', undefined), 'LAN receivers are fine');
});

t.test('network errors are classified without their messages (which hold URLs)', async (t) => {
  const wrap = (code: string) => Object.assign(new TypeError('fetch failed http://x?token=1'), { cause: Object.assign(new Error('x'), { code }) });
  t.same(classifyError(wrap('ENOTFOUND')).errorClass, 'dns');
  t.same(classifyError(wrap('EHOSTUNREACH')).errorClass, 'unreachable');
  t.same(classifyError(wrap('ECONNREFUSED')).errorClass, 'refused');
  t.same(classifyError(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNRESET' })])).errorClass, 'reset');
  t.notMatch(classifyError(wrap('ENOTFOUND')).message, /token/);
});

t.test('the HTTP transport over loopback: a redirect is reported with its status, not followed; other statuses as they are', async (t) => {
  const transport = createHttpTransport();
  t.teardown(() => transport.close());
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url!);
    const status = Number(req.url!.slice(1));
    res.writeHead(status, status === 300 || (status > 300 && status < 400) ? { location: '/followed' } : { 'retry-after': '7' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => void server.close());
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const post = (status: number) => transport({ url: `${base}/${status}`, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal });
  for (const s of [301, 302, 303, 307, 308]) t.same(await post(s), { status: s, retryAfter: null }, String(s));
  t.same(await post(503), { status: 503, retryAfter: '7' });
  t.same(await post(300), { status: 300, retryAfter: null });
  t.notOk(hits.includes('/followed'), 'nothing followed');
  await t.rejects(transport({ url: 'http://127.0.0.1:1/', headers: {}, body: '{}', signal: new AbortController().signal }), 'a refused connection still rejects');
});

t.test('due deliveries come with their events, oldest due first, as plain objects; keyset paging goes on after a position', async (t) => {
  const store = openStore({ path: ':memory:' });
  store.migrate('journal', journalMigrations);
  store.migrate('webhook', webhookMigrations);
  const journal = new Journal(store, { clock: systemClock, log: silentLogger() });
  const d = new Deliveries(store);
  const events = [0, 1, 2].map((i) => journal.append('sms.received', received(i, { text: `t${i}` })));
  const ep = 'http://h/x';
  const rows = d.insert(events.map((e) => ({ eventId: e.id, eventType: e.type, subscriptionId: 's', url: null, endpoint: ep })), 1000);
  d.insert([{ eventId: 'gone', eventType: 'sms.received', subscriptionId: null, url: 'http://h/x', endpoint: ep }], 1500);
  d.insert([{ eventId: events[0]!.id, eventType: 'sms.received', subscriptionId: 'other', url: null, endpoint: 'http://elsewhere/' }], 1000);
  const due = d.due(ep, 2000, 10);
  t.same(due.map((r) => r.id), [...rows.map((r) => r.id), due[3]!.id]);
  t.same(due[0], {
    id: rows[0]!.id, subscription_id: 's', url: null, endpoint: ep, status: 'pending', attempts: 0, tries: 0, next_at: 1000, backoff: null, created_at: 1000,
    event: { seq: events[0]!.seq, id: events[0]!.id, type: 'sms.received', timestamp: events[0]!.timestamp, data: received(0, { text: 't0' }) },
    eventData: JSON.stringify(received(0, { text: 't0' })),
  });
  t.equal(Object.getPrototypeOf(due[0]), Object.prototype, 'a plain object, not the driver\'s null-prototype row');
  t.equal(due[3]!.event, undefined, 'an event the journal no longer has');
  t.same(d.due(ep, 2000, 10, { at: 1000, id: rows[1]!.id }).map((r) => r.id), [rows[2]!.id, due[3]!.id]);
  t.same(d.due(ep, 1200, 10).length, 3, 'only those due by now');
  t.same(d.withEvent(rows[1]!.id)?.event?.data, received(1, { text: 't1' }));
  t.equal(d.withEvent('nope'), undefined);
  store.close();
});

t.test('retention prunes finished deliveries by age and count, never waiting ones', async (t) => {
  const store = openStore({ path: ':memory:' });
  store.migrate('webhook', webhookMigrations);
  const d = new Deliveries(store);
  const now = Date.parse('2026-06-01T00:00:00Z');
  const rows = d.insert(Array.from({ length: 30 }, (_, i) => ({ eventId: `e${i}`, eventType: 'sms.received', subscriptionId: 's', url: null, endpoint: 'http://h/x' })), now - 10 * 24 * 3600_000);
  rows.slice(0, 20).forEach((r, i) => d.apply({ id: r.id, status: i < 10 ? 'delivered' : 'failed', nextAt: null }, now - (i < 5 ? 10 : 1) * 24 * 3600_000));
  t.equal(d.prune(now, 7 * 24 * 3600_000, 12), 5 + 3);
  const counts = d.counts();
  t.equal(counts.pending, 10, 'waiting deliveries stay, however old');
  t.equal(counts.delivered + counts.failed, 12);
  store.close();
});

t.test('errors: WebhookError and WebhookUrlError are ApiErrors, answered by the API as they are', async (t) => {
  const { ApiError } = await import('../../plugins/api/service.ts');
  const { toApiError } = await import('../../plugins/api/errors.ts');
  const { WebhookError } = await import('../../plugins/webhook/index.ts');
  const { WebhookUrlError } = await import('../../plugins/webhook/url.ts');
  const e = new WebhookError(409, 'webhook_disabled', 'the subscription is disabled', 'id');
  t.ok(e instanceof ApiError);
  t.ok(e instanceof WebhookError, 'still its own class for callers that test it');
  t.match(e, { name: 'WebhookError', status: 409, code: 'webhook_disabled', field: 'id', message: 'the subscription is disabled' });
  t.equal(toApiError(e), e, 'passed through, not rebuilt');
  t.equal(new WebhookError(409, 'conflict', 'x').field, undefined, 'no field when none is named');
  const u = t.throws(() => checkUrl('ftp://example.com/x', undefined)) as InstanceType<typeof WebhookUrlError>;
  t.ok(u instanceof ApiError);
  t.match(u, { name: 'WebhookUrlError', status: 400, code: 'invalid_url', field: 'url' });
});
