import t from 'tap';
import * as v from 'valibot';
import { keyMatches, presentedKey } from '../../plugins/api/auth.ts';
import { ApiError } from '../../plugins/api/service.ts';
import { harness, KEY } from './fixtures/agent.ts';


/** The error body without its request id (checked on its own in app.test.ts). */
async function plain(res: Response): Promise<unknown> {
  const body = (await res.json()) as { error?: { requestId?: unknown } };
  if (body.error) delete body.error.requestId;
  return body;
}

t.test('the key is accepted as a Bearer token or X-API-Key, and refused otherwise with 401 JSON', async (t) => {
  const h = await harness(t);
  t.equal((await h.request('/sms/messages')).status, 200, 'Bearer');
  t.equal((await h.request('/sms/messages', { key: null, headers: { 'x-api-key': KEY } })).status, 200, 'X-API-Key');
  for (const headers of [{}, { 'x-api-key': 'wrong' }, { authorization: `Basic ${KEY}` }, { authorization: `Bearer ${KEY}x` }, { authorization: 'Bearer' }] as Record<string, string>[]) {
    const res = await h.request('/sms/messages', { key: null, headers });
    t.equal(res.status, 401, JSON.stringify(headers));
    t.equal(res.headers.get('www-authenticate'), 'Bearer');
    t.match(await res.json(), { error: { code: 'unauthorized', message: /API key/ } });
  }
});

t.test('key comparison', async (t) => {
  t.ok(keyMatches('abc', 'abc'));
  t.notOk(keyMatches('abd', 'abc'));
  t.notOk(keyMatches('ab', 'abc'));
  t.notOk(keyMatches(undefined, ''), 'no key presented never matches');
  t.equal(presentedKey(new Headers({ authorization: 'bearer  k1 ' })), 'k1');
  t.equal(presentedKey(new Headers({ authorization: 'Token k1', 'x-api-key': 'k2' })), 'k2');
});

t.test('bodies: 415 for non-JSON, 413 over the limit, 400 for broken JSON, unknown and missing fields', async (t) => {
  const h = await harness(t, { api: { bodyLimit: 2048 } });
  const post = (body: string, type: string | null = 'application/json') =>
    h.request('/sms/send', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
  let res = await post('to=1&text=x', 'application/x-www-form-urlencoded');
  t.equal(res.status, 415);
  t.same(await plain(res), { error: { code: 'unsupported_media_type', message: 'send the body as application/json', field: 'Content-Type' } });
  t.equal((await post('{"to":"+15550100100","text":"hi"}', null)).status, 415, 'a body without a content type');
  t.equal((await post('{"to":"+15550100100","text":"hi"}', 'application/json; charset=utf-8')).status, 202);
  res = await post(JSON.stringify({ to: '+15550100100', text: 'x'.repeat(3000) }));
  t.equal(res.status, 413);
  t.match(await res.json(), { error: { code: 'payload_too_large' } });
  res = await post('{"to": "+15550100100", "text": ');
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'invalid_json' } });
  res = await post('');
  t.match(await res.json(), { error: { code: 'invalid_json', message: 'a JSON body is required' } });
  res = await post(JSON.stringify({ to: '+15550100100', text: 'hi', urgency: 'high' }));
  t.equal(res.status, 400);
  t.same(await plain(res), { error: { code: 'invalid_request', message: 'urgency: unknown field', field: 'urgency' } });
  res = await post(JSON.stringify({ to: '+15550100100' }));
  t.same(await plain(res), { error: { code: 'invalid_request', message: 'text: required', field: 'text' } });
  res = await post('[1,2]');
  t.match(await res.json(), { error: { code: 'invalid_request', message: /JSON object/ } });
  t.equal(h.sms.sent.length, 1, 'only the valid request reached the service');
});

t.test('unknown routes are 404, wrong methods 405 with Allow, malformed URLs 400', async (t) => {
  const h = await harness(t);
  let res = await h.request('/nope');
  t.equal(res.status, 404);
  t.match(await res.json(), { error: { code: 'not_found' } });
  res = await h.request('/sms/send');
  t.equal(res.status, 405);
  t.equal(res.headers.get('allow'), 'POST');
  res = await h.request('/sms/messages/%E0%A4%A');
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'bad_request' } });
});

t.test('every error answer carries a request id, in the x-request-id header and the body', async (t) => {
  const h = await harness(t);
  const cases: [string, RequestInit & { key?: string | null; json?: unknown }, number][] = [
    ['/%', {}, 400], // malformed: refused before any route runs
    ['/sms/messages/%E0%A4%A', {}, 400],
    ['/nope', {}, 404],
    ['/sms/send', {}, 405],
    ['/sms/messages', { key: 'wrong' }, 401],
    ['/sms/send', { method: 'POST', json: { to: 'bob', text: 'x' } }, 400],
    ['/sms/send', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }, 415],
  ];
  const ids = new Set<string>();
  for (const [path, init, status] of cases) {
    const res = await h.request(path, init);
    const body = (await res.json()) as { error: { requestId?: string } };
    const id = res.headers.get('x-request-id');
    t.equal(res.status, status, path);
    t.match(id, /^[0-9a-f-]{36}$/, `${path}: x-request-id`);
    t.equal(body.error.requestId, id, `${path}: the same id in the body`);
    ids.add(id!);
  }
  t.equal(ids.size, cases.length, 'one id per request');
});

t.test('routes added by other plugins, also after start; handler errors map to JSON', async (t) => {
  const h = await harness(t);
  const api = h.agent.use('api');
  const off = api.route({
    method: 'POST',
    path: '/things/:id',
    summary: 'A thing',
    body: v.strictObject({ n: v.number() }),
    status: 201,
    handler: ({ params, body }) => {
      if (params.id === 'missing') throw new ApiError(404, 'not_found', 'no such thing', 'id');
      if (params.id === 'service') throw Object.assign(new Error('bad number'), { code: 'invalid_number', field: 'to' });
      if (params.id === 'bug') throw new TypeError('cannot read properties of undefined');
      return { id: params.id, n: body.n };
    },
  });
  let res = await h.request('/things/a1', { method: 'POST', json: { n: 1 } });
  t.equal(res.status, 201);
  t.same(await res.json(), { id: 'a1', n: 1 });
  t.ok(res.headers.get('x-request-id'));
  res = await h.request('/things/missing', { method: 'POST', json: { n: 1 } });
  t.same([res.status, await plain(res)], [404, { error: { code: 'not_found', message: 'no such thing', field: 'id' } }]);
  res = await h.request('/things/service', { method: 'POST', json: { n: 1 } });
  t.same([res.status, await plain(res)], [400, { error: { code: 'invalid_request', message: 'bad number', field: 'to' } }]);

  res = await h.request('/things/bug', { method: 'POST', json: { n: 1 } });
  t.equal(res.status, 500);
  const body = (await res.json()) as { error: { code: string; requestId: string; message: string } };
  t.equal(body.error.code, 'internal');
  t.equal(body.error.requestId, res.headers.get('x-request-id'));
  t.notMatch(body.error.message, /undefined/, 'no internals in the answer');
  const logged = h.logs.find((l) => l.msg === 'request failed (bug)');
  t.equal(logged?.requestId, body.error.requestId, 'the bug is logged with the request id');
  t.equal((await h.request('/sms/messages')).status, 200, 'and the API keeps serving');

  off();
  t.equal((await h.request('/things/a1', { method: 'POST', json: { n: 1 } })).status, 404, 'removed');
  t.throws(() => api.route({ method: 'GET', path: '/health', summary: 'again', handler: () => 1 }), /already registered/);
});

t.test('a route without auth still tells the handler whether the key was valid', async (t) => {
  const h = await harness(t);
  const seen: boolean[] = [];
  h.agent.use('api').route({ method: 'GET', path: '/open', summary: 'open', auth: false, handler: ({ apiKeyValid }) => void seen.push(apiKeyValid) });
  t.equal((await h.request('/open', { key: null })).status, 204);
  await h.request('/open');
  t.same(seen, [false, true]);
});

t.test('no key configured: the API is open on loopback, and says so', async (t) => {
  const h = await harness(t, { api: { apiKeyEnv: 'SMSEDGE_TEST_NO_SUCH_KEY' } });
  t.equal((await h.request('/sms/messages', { key: null })).status, 200);
  t.ok(h.logs.some((l) => l.level === 'warn' && /no API key set/.test(String(l.msg))));
});
