// The OpenAPI document lists every answer the API really gives (issue 31): the real agent (modem on
// the simulator, the API with a key, webhooks) gets each route's success and error cases, and every
// answer's status must be documented for its operation and its body valid against the documented
// schema (JSON Schema 2020-12, checked with ajv).
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import type { ApiApp } from '../../plugins/api/app.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { rules } from '../../plugins/rules/index.ts';
import { RulesStore } from '../../plugins/rules/store.ts';
import type { PostRequest } from '../../plugins/webhook/transport.ts';

const KEY_ENV = 'SMSEDGE_OPENAPI_TEST_KEY';
const KEY = 'openapi-test-key-0123456789abcdef';
process.env[KEY_ENV] = KEY;
const READ_KEY = 'openapi-read-key-9f8e7d6c5b4a3210';
process.env.SMSEDGE_OPENAPI_READ_KEY = READ_KEY;

type Json = Record<string, any>;
interface Case {
  method: string;
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** false: no key; a string: that key instead of the admin key. */
  key?: boolean | string;
  status: number;
}

t.test('every route answers only what the OpenAPI document says it answers', async (t) => {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  // Receivers are simulated: a URL with "fail" answers 500, any other 200.
  const transport = async (request: PostRequest) => ({ status: request.url.includes('fail') ? 500 : 200, retryAfter: null });
  const agent = createAgent(
    resolveConfig({
      agentId: 'openapi',
      dataDir: t.testdir(),
      plugins: [
        modem({ port: 'simulator', retry: { initialDelayMs: 0 }, balance: { ussd: '*100#', everyHours: 0 } }),
        api({ port: 0, apiKeyEnv: KEY_ENV, keys: [{ name: 'reader', keyEnv: 'SMSEDGE_OPENAPI_READ_KEY', scopes: ['read'] }] }),
        webhook({ transport, notBefore: '2020-01-01T00:00:00Z', retry: { initialDelayMs: 3600_000 } }),
        rules({ rules: [{ name: 'tag sent', when: { events: ['sms.sent', 'sms.delivered'] }, then: [{ tag: 'outbound' }] }] }),
      ],
    }),
    { clock, log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; i < 2000 && agent.use('sms').modems()[0]!.state !== 'online'; i++) await clock.advance(50);
  const app = (agent.use('api') as unknown as ApiApp).app;

  /** One request through the app, the clock driven until it answers (USSD waits for the simulated network). */
  async function request(c: Omit<Case, 'status'>): Promise<Response> {
    const headers: Record<string, string> = { ...(c.key === false ? {} : { authorization: `Bearer ${typeof c.key === 'string' ? c.key : KEY}` }), ...c.headers };
    if (c.json !== undefined) headers['content-type'] ??= 'application/json';
    let done = false;
    const answer = Promise.resolve(app.request(c.path, { method: c.method, headers, body: c.json !== undefined ? JSON.stringify(c.json) : (c.body as BodyInit | undefined) })).finally(() => (done = true));
    for (let i = 0; i < 2000 && !done; i++) await clock.advance(50);
    return answer;
  }
  const json = async (c: Omit<Case, 'status'>) => (await (await request(c)).json()) as Json;

  const doc = await json({ method: 'GET', path: '/openapi.json' });
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: doc.components });

  // What the cases need: a message, webhooks (one answering 500, one disabled), deliveries.
  const sent = await json({ method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'hello' } });
  const hook = (await json({ method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/in', events: ['sms.received'] } })).webhook.id as string;
  const failing = (await json({ method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/fail' } })).webhook.id as string;
  const disabled = (await json({ method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/off', enabled: false } })).webhook.id as string;
  const delivered = (await json({ method: 'POST', path: `/webhooks/${hook}/test` })).deliveryId as string;
  const retrying = (await json({ method: 'POST', path: `/webhooks/${failing}/test` })).deliveryId as string;
  const gone = (await json({ method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/gone' } })).webhook.id as string;
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const later = new Date(clock.now() + 3_600_000).toISOString();
  const held = await json({ method: 'POST', path: '/sms/send', json: { to: '+15550100101', text: 'later', sendAt: later, priority: 'low' } });
  const dropped = await json({ method: 'POST', path: '/sms/send', json: { to: '+15550100102', text: 'dropped', sendAt: later } });
  // The rules' verdict on the sent message (shown under `rules` on it), and an opt-out to remove.
  for (let i = 0; i < 2000 && !agent.use('rules').forMessage(sent.id); i++) await clock.advance(50);
  t.ok(agent.use('rules').forMessage(sent.id), 'the rules saw the sent message');
  new RulesStore(agent.store).optOut('+15550100177', 'test', clock.now());
  // A received message to mark read and delete.
  await request({ method: 'POST', path: '/simulator/sms', json: { from: '+15550100198', text: 'to be read' } });
  let inbox: Json = { items: [] };
  for (let i = 0; i < 200 && inbox.items.length === 0; i++) {
    await clock.advance(50);
    inbox = await json({ method: 'GET', path: '/sms/messages?direction=inbound&q=to%20be%20read' });
  }
  const received = inbox.items[0] as Json;

  const cases: Case[] = [
    { method: 'GET', path: '/', key: false, status: 200 },
    { method: 'GET', path: '/ui/app.js', key: false, status: 200 },
    { method: 'GET', path: '/ui/nope.js', key: false, status: 404 },
    { method: 'GET', path: '/auth', key: false, status: 200 },
    { method: 'GET', path: '/auth', key: READ_KEY, status: 200 },
    { method: 'GET', path: '/auth', key: 'not-a-key-0123456789abcdef', status: 401 },
    { method: 'GET', path: '/keys', status: 200 },
    { method: 'GET', path: '/keys', key: READ_KEY, status: 403 },
    { method: 'POST', path: '/keys', json: { name: 'ci', scopes: ['send'], rateLimit: { perMinute: 60 } }, status: 201 },
    { method: 'POST', path: '/keys', json: { name: 'ci', scopes: ['send'] }, status: 409 },
    { method: 'POST', path: '/keys', json: { name: 'x', scopes: [] }, status: 400 },
    { method: 'DELETE', path: '/keys/ci', status: 204 },
    { method: 'DELETE', path: '/keys/ci', status: 404 },
    { method: 'DELETE', path: '/keys/reader', status: 409 },
    { method: 'GET', path: '/audit?limit=5', status: 200 },
    { method: 'GET', path: '/audit?cursor=abc', status: 400 },
    { method: 'GET', path: '/audit', key: READ_KEY, status: 403 },
    { method: 'GET', path: '/sms/messages?direction=outbound&format=csv', status: 200 },
    { method: 'GET', path: '/sms/messages?format=xml', status: 400 },
    { method: 'GET', path: '/sms/messages', key: READ_KEY, status: 200 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'x' }, key: READ_KEY, status: 403 },
    { method: 'GET', path: '/calls', status: 200 },
    { method: 'GET', path: '/calls?limit=abc', status: 400 },
    { method: 'GET', path: '/calls', key: false, status: 401 },
    { method: 'GET', path: '/events', status: 200 },
    { method: 'GET', path: '/events', key: false, status: 401 },
    { method: 'GET', path: '/health', key: false, status: 200 },
    { method: 'GET', path: '/metrics', status: 200 },
    { method: 'GET', path: '/metrics', key: false, status: 401 },
    { method: 'GET', path: '/modems/signal-history', status: 200 },
    { method: 'GET', path: '/modems', status: 200 },
    { method: 'GET', path: '/modems', key: READ_KEY, status: 200 },
    { method: 'GET', path: '/modems', key: false, status: 401 },
    { method: 'GET', path: '/modems/signal-history', key: false, status: 401 },
    { method: 'GET', path: '/modems/default/doctor', status: 200 },
    { method: 'GET', path: '/modems/nope/doctor', status: 404 },
    { method: 'POST', path: '/modems/default/balance', status: 200 },
    { method: 'POST', path: '/modems/nope/balance', status: 404 },
    { method: 'POST', path: '/modems/default/unpark', status: 200 },
    { method: 'POST', path: '/modems/nope/unpark', status: 404 },
    { method: 'POST', path: '/modems/default/unpark', key: false, status: 401 },
    { method: 'GET', path: '/openapi.json', status: 200 },
    { method: 'GET', path: '/openapi.json', key: false, status: 401 },
    { method: 'POST', path: '/simulator/call', json: { from: '+15550100177' }, status: 202 },
    { method: 'POST', path: '/simulator/call', json: { from: 'nobody!' }, status: 400 },
    { method: 'POST', path: '/simulator/fault', json: { kind: 'slow', count: 1, ms: 0 }, status: 202 },
    { method: 'POST', path: '/simulator/fault', json: { kind: 'no-such-fault' }, status: 400 },
    { method: 'POST', path: '/simulator/sms', json: { from: '+15550100199', text: 'hi agent' }, status: 202 },
    { method: 'POST', path: '/simulator/sms', json: { from: '+15550100199', text: '' }, status: 400 },
    { method: 'POST', path: '/simulator/sms', body: 'from=1', headers: { 'content-type': 'text/plain' }, status: 415 },
    { method: 'GET', path: '/sms/delivery-reports', status: 200 },
    { method: 'GET', path: '/sms/delivery-reports?limit=0', status: 400 },
    { method: 'GET', path: '/sms/messages?direction=outbound', status: 200 },
    { method: 'GET', path: '/sms/messages?direction=sideways', status: 400 },
    { method: 'GET', path: `/sms/messages/${sent.id}`, status: 200 },
    { method: 'GET', path: `/sms/messages/${unknownId}`, status: 404 },
    { method: 'GET', path: '/rules/opt-outs', status: 200 },
    { method: 'DELETE', path: '/rules/opt-outs/+15550100177', status: 204 },
    { method: 'DELETE', path: '/rules/opt-outs/+15550100177', status: 404 },
    { method: 'DELETE', path: '/rules/opt-outs/not-a-number', status: 400 },
    { method: 'GET', path: '/sms/messages/a.b', status: 400 },
    { method: 'GET', path: '/sms/messages?direction=outbound&status=queued&to=%2B15550100101&since=2026-03-01T00:00:00Z&q=lat', status: 200 },
    { method: 'GET', path: `/sms/messages?cursor=${unknownId}`, status: 400 },
    { method: 'GET', path: '/sms/messages?direction=outbound&since=yesterday', status: 400 },
    { method: 'GET', path: '/sms/messages?direction=outbound&priority=high', status: 400 },
    { method: 'PATCH', path: `/sms/messages/${held.id}`, json: { text: 'later, changed', sendAt: new Date(clock.now() + 7_200_000).toISOString() }, status: 200 },
    { method: 'PATCH', path: `/sms/messages/${held.id}`, json: { sendAt: '2020-01-01T00:00:00Z' }, status: 400 },
    { method: 'PATCH', path: `/sms/messages/${unknownId}`, json: { text: 'x' }, status: 404 },
    { method: 'DELETE', path: `/sms/messages/${dropped.id}`, status: 200 },
    { method: 'DELETE', path: `/sms/messages/${dropped.id}`, status: 409 },
    { method: 'PATCH', path: `/sms/messages/${dropped.id}`, json: { text: 'x' }, status: 409 },
    { method: 'DELETE', path: `/sms/messages/${unknownId}`, status: 404 },
    { method: 'PATCH', path: `/sms/messages/${received.id}`, json: { read: true }, status: 200 },
    { method: 'GET', path: '/sms/messages?direction=inbound&read=true', status: 200 },
    { method: 'GET', path: '/sms/messages?direction=inbound&read=maybe', status: 400 },
    { method: 'GET', path: '/sms/messages?direction=outbound&read=false', status: 400 },
    { method: 'PATCH', path: `/sms/messages/${received.id}`, json: { read: true, text: 'x' }, status: 400 },
    { method: 'PATCH', path: `/sms/messages/${received.id}`, json: { read: 'yes' }, status: 400 },
    { method: 'PATCH', path: `/sms/messages/${unknownId}`, json: { read: false }, status: 404 },
    { method: 'DELETE', path: `/sms/messages/${received.id}`, status: 200 },
    { method: 'PATCH', path: `/sms/messages/${received.id}`, json: { read: true }, status: 404 },
    { method: 'GET', path: '/sms/messages?direction=outbound&number=0100101', status: 200 },
    { method: 'GET', path: '/sms/threads', status: 200 },
    { method: 'GET', path: '/sms/threads?q=later&modem=default&limit=1', status: 200 },
    { method: 'GET', path: `/sms/threads?cursor=${unknownId}`, status: 400 },
    { method: 'GET', path: '/sms/threads?limit=0', status: 400 },
    { method: 'GET', path: '/sms/threads/messages?number=%2B15550100101&modem=default', status: 200 },
    { method: 'GET', path: `/sms/threads/messages?number=%2B15550100101&modem=default&cursor=${sent.id}`, status: 200 },
    { method: 'GET', path: '/sms/threads/messages?number=%2B15550100101', status: 400 },
    { method: 'GET', path: `/sms/threads/messages?number=%2B15550100101&modem=default&cursor=${unknownId}`, status: 400 },
    { method: 'POST', path: '/sms/send', json: { to: ['+15550100100', '0612345678'], text: 'two' }, status: 202 },
    { method: 'POST', path: '/sms/send', json: { to: '+1 555', text: 'x' }, status: 400 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'x', modem: 'nope' }, status: 400 },
    { method: 'POST', path: '/sms/send', body: Buffer.from('{"to":"+15550100100","text":"\xff"}', 'latin1'), headers: { 'content-type': 'application/json' }, status: 400 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'x'.repeat(300_000) }, status: 413 },
    { method: 'POST', path: '/sms/send', body: 'to=1', headers: { 'content-type': 'text/plain' }, status: 415 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'x' }, key: false, status: 401 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'x' }, headers: { 'sec-fetch-site': 'cross-site' }, status: 403 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'once' }, headers: { 'idempotency-key': 'k-1' }, status: 202 },
    { method: 'POST', path: '/sms/send', json: { to: '+15550100100', text: 'twice' }, headers: { 'idempotency-key': 'k-1' }, status: 422 },
    { method: 'POST', path: '/sms/subscribe', json: { url: 'https://hooks.example.com/sub' }, status: 201 },
    { method: 'POST', path: '/sms/subscribe', json: { url: 'ftp://x' }, status: 400 },
    { method: 'GET', path: '/sms/webhook-deliveries', status: 200 },
    { method: 'GET', path: '/sms/webhook-deliveries?status=lost', status: 400 },
    { method: 'GET', path: `/sms/webhook-deliveries/${delivered}`, status: 200 },
    { method: 'GET', path: `/sms/webhook-deliveries/${unknownId}`, status: 404 },
    { method: 'POST', path: `/sms/webhook-deliveries/${retrying}/retry`, status: 200 },
    { method: 'POST', path: `/sms/webhook-deliveries/${delivered}/retry`, status: 409 },
    { method: 'POST', path: `/sms/webhook-deliveries/${unknownId}/retry`, status: 404 },
    { method: 'POST', path: '/ussd/send', json: { code: '*100#' }, status: 200 },
    { method: 'POST', path: '/ussd/send', json: { code: '*999#' }, status: 502 },
    { method: 'POST', path: '/ussd/send', json: { code: 'rm -rf' }, status: 400 },
    { method: 'POST', path: '/ussd/reply', json: { text: '1' }, status: 409 },
    { method: 'POST', path: '/ussd/send', json: { code: '*101#' }, status: 200 },
    { method: 'POST', path: '/ussd/reply', json: { text: '2' }, status: 200 },
    { method: 'POST', path: '/ussd/reply', json: { text: '' }, status: 400 },
    { method: 'POST', path: '/ussd/cancel', status: 204 },
    { method: 'POST', path: '/ussd/cancel', json: { modem: 'nope' }, status: 400 },
    { method: 'GET', path: '/webhooks', status: 200 },
    { method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/new' }, status: 201 },
    { method: 'POST', path: '/webhooks', json: { url: 'https://hooks.example.com/new', format: 'nope' }, status: 400 },
    { method: 'GET', path: '/webhooks/event-types', status: 200 },
    { method: 'GET', path: `/webhooks/${hook}`, status: 200 },
    { method: 'GET', path: `/webhooks/${unknownId}`, status: 404 },
    { method: 'PATCH', path: `/webhooks/${hook}`, json: { timeoutMs: 5000 }, status: 200 },
    { method: 'PATCH', path: `/webhooks/${hook}`, json: { timeoutMs: 5 }, status: 400 },
    { method: 'PATCH', path: `/webhooks/${unknownId}`, json: { enabled: true }, status: 404 },
    { method: 'POST', path: `/webhooks/${hook}/replay`, json: { since: '2026-03-01T00:00:00Z' }, status: 202 },
    { method: 'POST', path: `/webhooks/${hook}/replay`, json: { since: 'yesterday' }, status: 400 },
    { method: 'POST', path: `/webhooks/${unknownId}/replay`, json: { since: '2026-03-01T00:00:00Z' }, status: 404 },
    { method: 'POST', path: `/webhooks/${hook}/rotate-secret`, status: 200 },
    { method: 'POST', path: `/webhooks/${unknownId}/rotate-secret`, status: 404 },
    { method: 'POST', path: `/webhooks/${hook}/test`, status: 200 },
    { method: 'POST', path: `/webhooks/${disabled}/test`, status: 409 },
    { method: 'POST', path: `/webhooks/${unknownId}/test`, status: 404 },
    { method: 'DELETE', path: `/webhooks/${gone}`, status: 204 },
    { method: 'DELETE', path: `/webhooks/${gone}`, status: 404 },
  ];

  /** The document's operation for a concrete request path (`/webhooks/abc` → `/webhooks/{id}`). */
  const operationOf = (method: string, path: string): [string, Json] | undefined => {
    const bare = path.split('?')[0]!;
    const matches = Object.entries(doc.paths as Record<string, Json>)
      .filter(([template]) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare))
      .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    for (const [template, ops] of matches) if (ops[method.toLowerCase()]) return [template, ops[method.toLowerCase()]];
    return undefined;
  };

  const exercised = new Map<string, Set<number>>();
  for (const c of cases) {
    const what = `${c.method} ${c.path.slice(0, 80)} → ${c.status}`;
    const found = operationOf(c.method, c.path);
    if (!found) {
      t.fail(`${what}: not in the document`);
      continue;
    }
    const [template, op] = found;
    const res = await request(c);
    t.equal(res.status, c.status, what);
    const set = exercised.get(`${c.method} ${template}`) ?? new Set<number>();
    exercised.set(`${c.method} ${template}`, set.add(res.status));
    const documented = op.responses[String(res.status)] as Json | undefined;
    if (!documented) {
      t.fail(`${what}: status ${res.status} is not documented for ${c.method} ${template} (${Object.keys(op.responses).join(' ')})`);
      await res.body?.cancel();
      continue;
    }
    const type = res.headers.get('content-type') ?? '';
    const content = (documented.content ?? {}) as Record<string, Json>;
    // An answer documented in several types (JSON or CSV) is checked as the type it came in.
    const bare = type.split(';')[0]!.trim();
    if (content['application/json'] && (bare === 'application/json' || !content[bare])) {
      t.match(type, /^application\/json/, `${what}: JSON`);
      const body = await res.json();
      const schema = content['application/json'].schema as Json | undefined;
      if (schema) {
        const validate = ajv.compile(schema.$ref ? { $ref: `doc${schema.$ref}` } : schema);
        t.ok(validate(body), `${what}: the body fits the documented schema ${validate.errors ? JSON.stringify(validate.errors).slice(0, 400) : ''}`);
      }
    } else {
      const documentedType = content[bare] ? bare : Object.keys(content)[0];
      if (documentedType && documentedType !== '*/*') t.ok(type.startsWith(documentedType), `${what}: ${type} is the documented ${documentedType}`);
      if (!documentedType && res.status !== 204) t.fail(`${what}: answers ${type} but the document gives no content`);
      await res.body?.cancel();
    }
  }

  // Each operation got its success case, and an error case when it has any besides auth and Host.
  for (const [template, ops] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(ops)) {
      const got = exercised.get(`${method.toUpperCase()} ${template}`) ?? new Set<number>();
      t.ok([...got].some((s) => s < 300), `${method.toUpperCase()} ${template}: a success case`);
      const errors = Object.keys(op.responses).map(Number).filter((s) => s >= 400 && s < 500 && ![401, 403, 429].includes(s));
      if (errors.length) t.ok([...got].some((s) => s >= 400), `${method.toUpperCase()} ${template}: an error case (${errors.join(' ')})`);
    }
  }
});
