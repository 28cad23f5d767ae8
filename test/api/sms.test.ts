import t from 'tap';
import { harness } from './fixtures/agent.ts';

const send = (json: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', json, headers });


/** The error body without its request id (checked on its own in app.test.ts). */
async function plain(res: Response): Promise<unknown> {
  const body = (await res.json()) as { error?: { requestId?: unknown } };
  if (body.error) delete body.error.requestId;
  return body;
}

t.test('POST /sms/send queues one message: 202 { id, status, parts, encoding }', async (t) => {
  const h = await harness(t);
  const res = await h.request('/sms/send', send({ to: '+15550100100', text: 'hello', deliveryReport: true, clientRef: 'order-7', ttlSeconds: 600 }));
  t.equal(res.status, 202);
  const body = (await res.json()) as Record<string, unknown>;
  t.match(body, { id: String, status: 'queued', to: '+15550100100', parts: 1, encoding: 'gsm7' });
  t.same(h.sms.sent, [{ to: '+15550100100', text: 'hello', deliveryReport: true, clientRef: 'order-7', ttlSeconds: 600 }]);
});

t.test('several recipients: an array of answers, all or nothing', async (t) => {
  const h = await harness(t);
  let res = await h.request('/sms/send', send({ to: ['+15550100100', '0612345678', '12345'], text: 'Grüße €', encoding: 'ucs2' }));
  t.equal(res.status, 202);
  const list = (await res.json()) as { to: string; encoding: string }[];
  t.same(list.map((a) => [a.to, a.encoding]), [['+15550100100', 'ucs2'], ['0612345678', 'ucs2'], ['12345', 'ucs2']]);

  h.sms.refuse.set('0699999999', Object.assign(new Error('number barred'), { code: 'invalid_number', field: 'to', status: 400 }));
  const before = h.sms.sent.length;
  res = await h.request('/sms/send', send({ to: ['+15550100100', '0699999999'], text: 'x' }));
  t.equal(res.status, 400);
  t.same(await plain(res), { error: { code: 'invalid_request', message: 'number barred', field: 'to.1' } }, 'a code outside the vocabulary reads as invalid_request');
  // The fake keeps its own list outside the store; the store transaction is what the real service
  // relies on, which test/api/e2e.test.ts checks. Here: the answer names the recipient.
  t.equal(h.sms.sent.length, before + 1);
});

t.test('bad recipients, text and options are 400 naming the field', async (t) => {
  const h = await harness(t);
  const cases: [unknown, string][] = [
    [{ to: 'bob', text: 'x' }, 'to'],
    [{ to: '+1 555 0100', text: 'x' }, 'to'],
    [{ to: '+0123456789', text: 'x' }, 'to'],
    [{ to: '12', text: 'x' }, 'to'],
    [{ to: 15550100100, text: 'x' }, 'to'],
    [{ to: [], text: 'x' }, 'to'],
    [{ to: ['+15550100100', 'x'], text: 'x' }, 'to.1'],
    [{ to: Array(101).fill('+15550100100'), text: 'x' }, 'to'],
    [{ to: '+15550100100', text: '' }, 'text'],
    [{ to: '+15550100100', text: 42 }, 'text'],
    [{ to: '+15550100100', text: 'x'.repeat(153 * 10 + 1) }, 'text'],
    [{ to: '+15550100100', text: '日'.repeat(67 * 10 + 1) }, 'text'],
    [{ to: '+15550100100', text: '日本', encoding: 'gsm7' }, 'text'],
    // Lone surrogates (JSON allows the escapes) are not text: the modem would get U+FFFD.
    [{ to: '+15550100100', text: '\ud800' }, 'text'],
    [{ to: '+15550100100', text: 'code \udc00 1234' }, 'text'],
    [{ to: '+15550100100', text: 'x', encoding: 'latin1' }, 'encoding'],
    [{ to: '+15550100100', text: 'x', deliveryReport: 'yes' }, 'deliveryReport'],
    [{ to: '+15550100100', text: 'x', validityMinutes: 1 }, 'validityMinutes'],
    [{ to: '+15550100100', text: 'x', ttlSeconds: 1.5 }, 'ttlSeconds'],
    [{ to: '+15550100100', text: 'x', clientRef: 'r'.repeat(41) }, 'clientRef'],
    [{ to: '+15550100100', text: 'x', clientRef: 'a\nb' }, 'clientRef'],
    [{ to: '+15550100100', text: 'x', callbackUrl: 'ftp://example.com/x' }, 'callbackUrl'],
    [{ to: '+15550100100', text: 'x', callbackUrl: 'not a url' }, 'callbackUrl'],
    [{ to: '+15550100100', text: 'x', modem: '../etc' }, 'modem'],
  ];
  for (const [json, field] of cases) {
    const res = await h.request('/sms/send', send(json));
    const body = (await res.json()) as { error: { code: string; field: string } };
    t.same([res.status, body.error.code, body.error.field], [400, 'invalid_request', field], JSON.stringify(json).slice(0, 80));
  }
  t.equal(h.sms.sent.length, 0);
  // A number pasted with spaces is refused, not guessed at: the message says what to change.
  const spaced = await h.request('/sms/send', send({ to: '+1 555 0100', text: 'x' }));
  t.match(((await spaced.json()) as { error: { message: string } }).error.message, /^to: not a phone number \(digits only, with an optional leading \+/);
  // Exactly 10 parts is fine.
  t.equal((await h.request('/sms/send', send({ to: '+15550100100', text: 'x'.repeat(153 * 10) }))).status, 202);
});

t.test('Idempotency-Key: a repeat returns the first answer and sends nothing; reuse with another body is 422', async (t) => {
  const h = await harness(t);
  const first = await h.request('/sms/send', send({ to: '+15550100100', text: 'code 1234' }, { 'idempotency-key': 'k-1' }));
  t.equal(first.status, 202);
  const answer = await first.json();
  const again = await h.request('/sms/send', send({ to: '+15550100100', text: 'code 1234' }, { 'idempotency-key': 'k-1' }));
  t.equal(again.status, 202);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(await again.json(), answer);
  t.equal(h.sms.sent.length, 1, 'sent once');

  const other = await h.request('/sms/send', send({ to: '+15550100100', text: 'code 9999' }, { 'idempotency-key': 'k-1' }));
  t.equal(other.status, 422);
  t.match(await other.json(), { error: { code: 'idempotency_key_reused', field: 'Idempotency-Key' } });

  const bad = await h.request('/sms/send', send({ to: '+15550100100', text: 'x' }, { 'idempotency-key': 'x'.repeat(256) }));
  t.equal(bad.status, 400);

  // A refused request stores nothing: fixing it and retrying with the same key works.
  t.equal((await h.request('/sms/send', send({ to: 'nope', text: 'x' }, { 'idempotency-key': 'k-2' }))).status, 400);
  t.equal((await h.request('/sms/send', send({ to: '+15550100100', text: 'x' }, { 'idempotency-key': 'k-2' }))).status, 202);

  // After 24 h the key is forgotten.
  await h.clock.advance(24 * 3600_000 + 1);
  const later = await h.request('/sms/send', send({ to: '+15550100100', text: 'code 1234' }, { 'idempotency-key': 'k-1' }));
  t.equal(later.headers.get('idempotent-replayed'), null);
  t.equal(h.sms.sent.length, 3);
});

t.test('the idempotency record survives a restart', async (t) => {
  const dataDir = t.testdir();
  const h = await harness(t, { dataDir });
  await h.request('/sms/send', send({ to: '+15550100100', text: 'once' }, { 'idempotency-key': 'restart-1' }));
  await h.agent.stop();
  const h2 = await harness(t, { dataDir, sms: h.sms });
  const again = await h2.request('/sms/send', send({ to: '+15550100100', text: 'once' }, { 'idempotency-key': 'restart-1' }));
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(h.sms.sent.length, 1);
});

t.test('GET /sms/messages pages newest first; bad queries are 400', async (t) => {
  const h = await harness(t);
  for (let i = 0; i < 5; i++) await h.request('/sms/send', send({ to: '+15550100100', text: `m${i}` }));
  let res = await h.request('/sms/messages?direction=outbound&limit=2');
  let page = (await res.json()) as { items: { text: string; id: string }[]; next: string | null };
  t.same(page.items.map((m) => m.text), ['m4', 'm3']);
  res = await h.request(`/sms/messages?direction=outbound&limit=2&before=${page.next}`);
  page = (await res.json()) as typeof page;
  t.same(page.items.map((m) => m.text), ['m2', 'm1']);
  res = await h.request(`/sms/messages?direction=outbound&limit=2&before=${page.next}`);
  page = (await res.json()) as typeof page;
  t.same([page.items.map((m) => m.text), page.next], [['m0'], null]);
  res = await h.request('/sms/messages');
  t.same(await res.json(), { items: [], next: null }, 'inbound by default');

  for (const [q, field] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=abc', 'limit'], ['direction=sideways', 'direction'], ['before=../x', 'before'], ['limit=1&limit=2', 'limit'], ['sort=asc', 'sort'], ['cursor=../x', 'cursor']]) {
    res = await h.request(`/sms/messages?${q}`);
    t.equal(res.status, 400, q);
    t.match(await res.json(), { error: { code: 'invalid_query', field } }, q);
  }
});

t.test('GET /sms/messages/:id: 200, 404, and 400 for ids that are not ids', async (t) => {
  const h = await harness(t);
  const { id } = (await (await h.request('/sms/send', send({ to: '+15550100100', text: 'hi' }))).json()) as { id: string };
  let res = await h.request(`/sms/messages/${id}`);
  t.match(await res.json(), { id, direction: 'outbound', to: '+15550100100', status: 'queued', partDetails: [] });
  res = await h.request('/sms/messages/01900000-0000-7000-8000-000000000000');
  t.same([res.status, await plain(res)], [404, { error: { code: 'not_found', message: 'no such message', field: 'id' } }]);
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'a.b', "1'%20OR%201=1", '%00']) {
    res = await h.request(`/sms/messages/${bad}`);
    t.same([res.status, ((await res.json()) as { error: { field: string } }).error.field], [400, 'id'], bad);
  }
  // Dot segments are resolved before routing: they never reach the handler as an id.
  for (const bad of ['%2e%2e', '..', '%2e%2e%2f%2e%2e%2fhealth']) {
    res = await h.request(`/sms/messages/${bad}`);
    t.ok(res.status >= 400 && res.status < 500, `${bad}: ${res.status}`);
  }
});

t.test('GET /sms/delivery-reports lists reports', async (t) => {
  const h = await harness(t);
  h.sms.reports = [
    { id: 'r2', messageId: 'm1', to: '+15550100100', mr: 7, status: 0, state: 'delivered', statusText: 'received by SME', dischargeTime: null, receivedAt: '2026-01-01T00:00:00Z', modem: 'default' },
    { id: 'r1', messageId: null, to: '+15550100100', mr: 6, status: 64, state: 'failed', statusText: 'remote procedure error', dischargeTime: null, receivedAt: '2026-01-01T00:00:00Z', modem: 'default' },
  ];
  let res = await h.request('/sms/delivery-reports?limit=1');
  t.same(await res.json(), { items: [h.sms.reports[0]], next: 'r2' });
  res = await h.request('/sms/delivery-reports?direction=inbound');
  t.equal(res.status, 400);
});

t.test('without a modem plugin the SMS and USSD routes answer 503', async (t) => {
  const h = await harness(t, { noModem: true });
  for (const [path, init] of [['/sms/messages', {}], ['/sms/send', send({ to: '+15550100100', text: 'x' })], ['/ussd/send', send({ code: '*100#' })]] as const) {
    const res = await h.request(path, init);
    t.same([res.status, ((await res.json()) as { error: { code: string } }).error.code], [503, 'sms_unavailable'], path);
  }
});
